#include "stores/custom_ad_store.h"

namespace analytics::custom_ads {
namespace {

constexpr const char *kIntegrationColumns =
    "id::text, wmkt_id, name, currency, rfc3339(created_at), rfc3339(updated_at)";
constexpr const char *kCampaignColumns =
    "c.id::text, c.name, c.campaign_slug, c.active, c.explicit, rfc3339(c.created_at), rfc3339(c.updated_at)";
constexpr const char *kOutlayColumns =
    "o.id::text, o.campaign_id::text, o.amount::text, rfc3339(o.start_date), rfc3339(o.end_date), o.country, o.region,"
    " rfc3339(o.deleted_at), rfc3339(o.created_at), rfc3339(o.updated_at)";

// the sort fields of a campaign list and their columns
const std::map<std::string, std::string> kCampaignSorts = {
    {"name", "lower(c.name)"}, {"campaignId", "c.id"}, {"active", "c.active"}};

// the same for an outlay list
const std::map<std::string, std::string> kOutlaySorts = {
    {"campaignId", "o.campaign_id"}, {"startDate", "o.start_date"}, {"endDate", "o.end_date"},
    {"amount", "o.amount"}, {"country", "o.country"}, {"region", "o.region"}};

// ASC or DESC, whatever the caller passed
std::string direction(const Sort &sort)
{
    return sort.order == "DESC" ? "DESC" : "ASC";
}

Integration integration_row(const postgres::Result &rows, int row, long long tenant_id)
{
    return Integration{tenant_id, std::string(rows.text(row, 0)), std::string(rows.text(row, 1)),
                       std::string(rows.text(row, 2)), std::string(rows.text(row, 3)), std::string(rows.text(row, 4)),
                       std::string(rows.text(row, 5))};
}

Campaign campaign_row(const postgres::Result &rows, int row)
{
    return Campaign{std::string(rows.text(row, 0)), std::string(rows.text(row, 1)), std::string(rows.text(row, 2)),
                    rows.boolean(row, 3), rows.boolean(row, 4), std::string(rows.text(row, 5)),
                    std::string(rows.text(row, 6))};
}

Outlay outlay_row(const postgres::Result &rows, int row)
{
    return Outlay{std::string(rows.text(row, 0)), std::string(rows.text(row, 1)), std::stod(std::string(rows.text(row, 2))),
                  std::string(rows.text(row, 3)), std::string(rows.text(row, 4)), rows.optional_text(row, 5),
                  rows.optional_text(row, 6), rows.optional_text(row, 7), std::string(rows.text(row, 8)),
                  std::string(rows.text(row, 9))};
}

}  // namespace

bool is_campaign_sort(const std::string &field)
{
    return kCampaignSorts.count(field) == 1;
}

bool is_outlay_sort(const std::string &field)
{
    return kOutlaySorts.count(field) == 1;
}

std::optional<Integration> create_integration(postgres::Connection &db, long long tenant_id, const std::string &wmkt_id,
                                              const std::string &name, const std::string &currency)
{
    auto rows = postgres::unless_duplicate([&] {
        return db.exec(std::string("INSERT INTO custom_ads_integrations (tenant_id, wmkt_id, name, currency)"
                                   " VALUES ($1, $2, $3, $4) RETURNING ") + kIntegrationColumns,
                       {std::to_string(tenant_id), wmkt_id, name, currency});
    });
    if (!rows) return std::nullopt;
    return integration_row(*rows, 0, tenant_id);
}

std::optional<Integration> find_integration(postgres::Connection &db, long long tenant_id, const std::string &wmkt_id)
{
    auto rows = db.exec(std::string("SELECT ") + kIntegrationColumns
                            + " FROM custom_ads_integrations WHERE tenant_id = $1 AND wmkt_id = $2",
                        {std::to_string(tenant_id), wmkt_id});
    if (rows.rows() == 0) return std::nullopt;
    return integration_row(rows, 0, tenant_id);
}

stores::Listed<Integration> list_integrations(postgres::Connection &db, long long tenant_id, stores::Window window)
{
    stores::ListQuery query{kIntegrationColumns, " FROM custom_ads_integrations WHERE tenant_id = $1", "name, wmkt_id"};
    return stores::fetch_listed(
        db, query, {std::to_string(tenant_id)}, window,
        [&](const postgres::Result &rows, int i) { return integration_row(rows, i, tenant_id); });
}

long long update_integration(postgres::Connection &db, const Integration &integration, const postgres::Param &name,
                             const postgres::Param &currency)
{
    return db.exec("UPDATE custom_ads_integrations SET name = coalesce($3, name), currency = coalesce($4, currency),"
                   " updated_at = now() WHERE tenant_id = $1 AND id = $2"
                   " AND (name, currency) IS DISTINCT FROM (coalesce($3, name), coalesce($4, currency))",
                   {std::to_string(integration.tenant_id), integration.id, name, currency}).affected_rows();
}

std::optional<std::string> create_campaign(postgres::Connection &db, const Integration &integration,
                                           const std::string &slug, const std::string &name, bool active)
{
    auto rows = db.exec("INSERT INTO custom_ads_campaigns AS c (tenant_id, integration_id, campaign_slug, name, active, explicit)"
                        " VALUES ($1, $2, $3, $4, $5, true) ON CONFLICT (tenant_id, integration_id, campaign_slug)"
                        " DO UPDATE SET name = excluded.name, active = excluded.active, explicit = true, updated_at = now()"
                        " WHERE NOT c.explicit RETURNING id::text",
                        {std::to_string(integration.tenant_id), integration.id, slug, name, active ? "true" : "false"});
    if (rows.rows() == 0) return std::nullopt;
    return std::string(rows.text(0, 0));
}

std::optional<Campaign> find_campaign(postgres::Connection &db, const Integration &integration, const std::string &id)
{
    auto rows = db.exec(std::string("SELECT ") + kCampaignColumns
                            + " FROM custom_ads_campaigns c WHERE c.tenant_id = $1 AND c.integration_id = $2 AND c.id = $3",
                        {std::to_string(integration.tenant_id), integration.id, id});
    if (rows.rows() == 0) return std::nullopt;
    return campaign_row(rows, 0);
}

stores::Listed<Campaign> list_campaigns(postgres::Connection &db, const Integration &integration,
                                        const CampaignFilter &filter, const Sort &sort, stores::Window window)
{
    std::string order = direction(sort);
    stores::ListQuery query{
        kCampaignColumns,
        " FROM custom_ads_campaigns c WHERE c.tenant_id = $1 AND c.integration_id = $2"
        " AND ($3::boolean IS NULL OR c.active = $3) AND ($4::uuid IS NULL OR c.id = $4)"
        " AND ($5::text IS NULL OR c.campaign_slug = $5) AND ($6::text IS NULL OR c.name ILIKE $6)"
        " AND ($7::boolean IS NULL OR c.explicit = $7)",
        kCampaignSorts.at(sort.field) + " " + order + ", lower(c.name), c.id"};
    postgres::Param name_like;
    if (filter.name_like) name_like = stores::contains_pattern(*filter.name_like);
    return stores::fetch_listed(db, query,
                                {std::to_string(integration.tenant_id), integration.id, filter.active, filter.id,
                                 filter.slug, name_like, filter.is_explicit},
                                window, campaign_row);
}

long long update_campaign(postgres::Connection &db, const Integration &integration, const std::string &id,
                          const postgres::Param &name, const postgres::Param &active)
{
    return db.exec("UPDATE custom_ads_campaigns SET name = coalesce($3, name), active = coalesce($4::boolean, active),"
                   " updated_at = now() WHERE tenant_id = $1 AND id = $2"
                   " AND (name, active) IS DISTINCT FROM (coalesce($3, name), coalesce($4::boolean, active))",
                   {std::to_string(integration.tenant_id), id, name, active}).affected_rows();
}

std::string create_outlay(postgres::Connection &db, const Integration &integration, const std::string &campaign_id,
                          const OutlayFields &fields)
{
    auto rows = db.exec("INSERT INTO custom_ads_outlays (tenant_id, integration_id, campaign_id, amount, start_date, end_date,"
                        " country, region) VALUES ($1, $2, $3, $4::numeric, $5, $6, $7, $8) RETURNING id::text",
                        {std::to_string(integration.tenant_id), integration.id, campaign_id, fields.amount, fields.start,
                         fields.end, fields.country, fields.region});
    return std::string(rows.text(0, 0));
}

std::optional<Outlay> find_outlay(postgres::Connection &db, const Integration &integration,
                                  const std::string &campaign_id, const std::string &id)
{
    auto rows = db.exec(std::string("SELECT ") + kOutlayColumns
                            + " FROM custom_ads_outlays o WHERE o.tenant_id = $1 AND o.campaign_id = $2 AND o.id = $3",
                        {std::to_string(integration.tenant_id), campaign_id, id});
    if (rows.rows() == 0) return std::nullopt;
    return outlay_row(rows, 0);
}

stores::Listed<Outlay> list_outlays(postgres::Connection &db, const Integration &integration, const std::string &campaign_id,
                                    const postgres::Param &since, const postgres::Param &until, const Sort &sort,
                                    stores::Window window)
{
    std::string order = direction(sort);
    stores::ListQuery query{
        kOutlayColumns,
        " FROM custom_ads_outlays o WHERE o.tenant_id = $1 AND o.campaign_id = $2 AND o.deleted_at IS NULL"
        " AND ($3::timestamptz IS NULL OR o.end_date >= $3) AND ($4::timestamptz IS NULL OR o.start_date <= $4)",
        kOutlaySorts.at(sort.field) + " " + order + " NULLS LAST, o.id " + order};
    return stores::fetch_listed(db, query, {std::to_string(integration.tenant_id), campaign_id, since, until}, window,
                                outlay_row);
}

long long update_outlay(postgres::Connection &db, const Integration &integration, const std::string &campaign_id,
                        const std::string &id, const OutlayFields &fields, const postgres::Param &move_to)
{
    return db.exec(
        "UPDATE custom_ads_outlays SET amount = coalesce($4::numeric, amount), start_date = coalesce($5::timestamptz, start_date),"
        " end_date = coalesce($6::timestamptz, end_date), country = coalesce($7, country), region = coalesce($8, region),"
        " campaign_id = coalesce($9::uuid, campaign_id), updated_at = now()"
        " WHERE tenant_id = $1 AND campaign_id = $2 AND id = $3 AND deleted_at IS NULL"
        " AND (amount, start_date, end_date, country, region, campaign_id)"
        " IS DISTINCT FROM (coalesce($4::numeric, amount), coalesce($5::timestamptz, start_date), coalesce($6::timestamptz, end_date),"
        " coalesce($7, country), coalesce($8, region), coalesce($9::uuid, campaign_id))",
        {std::to_string(integration.tenant_id), campaign_id, id, fields.amount, fields.start, fields.end, fields.country,
         fields.region, move_to}).affected_rows();
}

long long delete_outlay(postgres::Connection &db, const Integration &integration, const std::string &campaign_id,
                        const std::string &id)
{
    return db.exec("UPDATE custom_ads_outlays SET deleted_at = now(), updated_at = now()"
                   " WHERE tenant_id = $1 AND campaign_id = $2 AND id = $3 AND deleted_at IS NULL",
                   {std::to_string(integration.tenant_id), campaign_id, id}).affected_rows();
}

}  // namespace analytics::custom_ads
