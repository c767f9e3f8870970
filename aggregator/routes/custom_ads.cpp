// Custom-ads integrations, their campaigns and outlays (webmarketer-api,
// "Custom Ads"): /api/v1/projects/{projectId}/custom-ads/{wmktId}/...
// A token of the project (or admin): reports:read to read, manage to write;
// another project's token gets 404. Lists answer {data, count, total,
// offset, limit}; updates answer {modifiedCount}.
#include "json.h"
#include "routes/authorization.h"
#include "routes/request_body.h"
#include "routes/services.h"

#include "event_id.h"
#include "event_time.h"

#include <sys/random.h>

#include <cmath>
#include <map>

namespace analytics::routes {
namespace {

struct Integration {
    tenants::Tenant project;
    std::string id;
    std::string wmkt_id;
    std::string currency;
};

constexpr const char *kCampaignColumns =
    "c.id::text, c.name, c.campaign_slug, c.active, c.explicit, rfc3339(c.created_at), rfc3339(c.updated_at)";
constexpr const char *kOutlayColumns =
    "o.id::text, o.campaign_id::text, o.amount::text, rfc3339(o.start_date), rfc3339(o.end_date), o.country, o.region,"
    " rfc3339(o.deleted_at), rfc3339(o.created_at), rfc3339(o.updated_at)";

std::variant<Integration, http::Response> integration_of(postgres::Connection &db, http::Request &request,
                                                         const std::string &scope)
{
    auto project = tenant_in_path(db, request, scope, "projectId", "Project not found");
    if (auto *denied = std::get_if<http::Response>(&project)) return *denied;
    const auto &tenant = std::get<tenants::Tenant>(project);
    auto rows = db.exec("SELECT id::text, wmkt_id, currency FROM custom_ads_integrations WHERE tenant_id = $1 AND wmkt_id = $2",
                        {std::to_string(tenant.id), request.path_params["wmktId"]});
    if (rows.rows() == 0) return http::error_response(404, "Integration not found");
    return Integration{tenant, std::string(rows.text(0, 0)), std::string(rows.text(0, 1)), std::string(rows.text(0, 2))};
}

// wmkt_id, name, currency, created_at, updated_at
json_t *integration_json(const postgres::Result &rows, int row)
{
    json_t *item = json_object();
    const char *keys[] = {"wmktId", "name", "currency", "createdAt", "updatedAt"};
    for (int k = 0; k < 5; k++) json_object_set_new(item, keys[k], json::string(rows.text(row, k)));
    return item;
}

// the campaign the path's {param} names, in the path's integration
struct Campaign {
    Integration integration;
    std::string id;
};

std::variant<Campaign, http::Response> campaign_of(postgres::Connection &db, http::Request &request,
                                                   const std::string &scope, const char *param)
{
    auto found = integration_of(db, request, scope);
    if (auto *denied = std::get_if<http::Response>(&found)) return *denied;
    auto &integration = std::get<Integration>(found);
    const std::string &id = request.path_params[param];
    if (!analytics_uuid_is_valid(id.data(), id.size())
        || db.exec("SELECT 1 FROM custom_ads_campaigns WHERE tenant_id = $1 AND integration_id = $2 AND id = $3",
                   {std::to_string(integration.project.id), integration.id, id}).rows() == 0)
    {
        return http::error_response(404, "Campaign not found");
    }
    return Campaign{std::move(integration), id};
}

json_t *campaign_json(const postgres::Result &rows, int row, const Integration &integration)
{
    json_t *item = json_object();
    json_object_set_new(item, "id", json::string(rows.text(row, 0)));
    json_object_set_new(item, "integrationId", json::string(integration.wmkt_id));
    json_object_set_new(item, "projectId", json::string(integration.project.slug));
    json_object_set_new(item, "name", json::string(rows.text(row, 1)));
    json_object_set_new(item, "campaignSlug", json::string(rows.text(row, 2)));
    json_object_set_new(item, "active", json_boolean(rows.boolean(row, 3)));
    json_object_set_new(item, "explicit", json_boolean(rows.boolean(row, 4)));
    json_object_set_new(item, "createdAt", json::string(rows.text(row, 5)));
    json_object_set_new(item, "updatedAt", json::string(rows.text(row, 6)));
    return item;
}

json_t *outlay_json(const postgres::Result &rows, int row, const Integration &integration)
{
    auto text_or_null = [&rows, row](int column) {
        return rows.is_null(row, column) ? json_null() : json::string(rows.text(row, column));
    };
    json_t *item = json_object();
    json_object_set_new(item, "_id", json::string(rows.text(row, 0)));
    json_object_set_new(item, "projectId", json::string(integration.project.slug));
    json_object_set_new(item, "integrationId", json::string(integration.wmkt_id));
    json_object_set_new(item, "campaignId", json::string(rows.text(row, 1)));
    json_t *amount = json_object();
    json_object_set_new(amount, "value", json_real(std::stod(std::string(rows.text(row, 2)))));
    json_object_set_new(amount, "currency", json::string(integration.currency));
    json_object_set_new(item, "amount", amount);
    json_object_set_new(item, "startDate", json::string(rows.text(row, 3)));
    json_object_set_new(item, "endDate", json::string(rows.text(row, 4)));
    json_object_set_new(item, "country", text_or_null(5));
    json_object_set_new(item, "region", text_or_null(6));
    json_object_set_new(item, "deletedAt", text_or_null(7));
    json_object_set_new(item, "createdAt", json::string(rows.text(row, 8)));
    json_object_set_new(item, "updatedAt", json::string(rows.text(row, 9)));
    return item;
}

// an RFC 3339 instant as PostgreSQL takes it; problem set when it is not one
std::optional<std::string> instant(json_t *value, const char *name, std::string &problem)
{
    auto text = rfc3339_instant(value);
    if (!text) problem = std::string(name) + " must be an RFC 3339 date-time";
    return text;
}

std::optional<http::Response> bad_boolean_filter(const http::Request &request, const char *name)
{
    auto value = query_param(request, name);
    if (value && *value != "true" && *value != "false") return http::error_response(400, std::string(name) + " must be true or false");
    return std::nullopt;
}

// {data, count, total, offset, limit}: the campaign and outlay lists echo the page
http::Response echoed_page(json::Value data, long long total, const Page &page)
{
    auto body = json::take(json_object());
    json_object_set_new(body.get(), "count", json_integer(static_cast<json_int_t>(json_array_size(data.get()))));
    json_object_set_new(body.get(), "total", json_integer(total));
    json_object_set_new(body.get(), "offset", json_integer(page.offset));
    json_object_set_new(body.get(), "limit", json_integer(page.limit));
    json_object_set(body.get(), "data", data.get());
    return json_response(200, std::move(body));
}

http::Response modified(long long count)
{
    auto body = json::take(json_object());
    json_object_set_new(body.get(), "modifiedCount", json_integer(count));
    return json_response(200, std::move(body));
}

http::Response created_id(std::string_view id)
{
    auto body = json::take(json_object());
    json_object_set_new(body.get(), "id", json::string(id));
    return json_response(201, std::move(body));
}

std::string order_of(const http::Request &request, bool &bad)
{
    std::string order = query_param(request, "order").value_or("ASC");
    bad = order != "ASC" && order != "DESC";
    return order;
}

// the outlay fields of a create or update body: amount, startDate, endDate,
// country, region (absent stays nullopt); problem set on the first bad one
struct OutlayFields {
    postgres::Param amount, start, end, country, region;
};

std::optional<OutlayFields> outlay_fields(json_t *body, std::string &problem)
{
    OutlayFields fields;
    if (json_t *amount = json_object_get(body, "amount")) {
        if (!json_is_number(amount) || !std::isfinite(json_number_value(amount)) || json_number_value(amount) < 0
            || json_number_value(amount) >= 1e14)
        {
            problem = "amount must be a number of at least 0";
            return std::nullopt;
        }
        char text[40];
        snprintf(text, sizeof(text), "%.4f", json_number_value(amount));
        fields.amount = std::string(text);
    }
    for (auto [name, target] : {std::pair{"startDate", &fields.start}, std::pair{"endDate", &fields.end}}) {
        if (json_t *value = json_object_get(body, name)) {
            auto text = instant(value, name, problem);
            if (!text) return std::nullopt;
            *target = *text;
        }
    }
    for (auto [name, target] : {std::pair{"country", &fields.country}, std::pair{"region", &fields.region}}) {
        if (json_t *value = json_object_get(body, name); value && !json_is_null(value)) {
            if (!json_is_string(value) || json_string_length(value) > 100) {
                problem = std::string(name) + " must be a string of at most 100 characters";
                return std::nullopt;
            }
            *target = std::string(json_string_value(value));
        }
    }
    return fields;
}

std::string random_wmkt_id()
{
    unsigned char bytes[8];
    if (getrandom(bytes, sizeof(bytes), 0) != static_cast<ssize_t>(sizeof(bytes))) throw std::runtime_error("getrandom failed");
    static const char digits[] = "0123456789abcdef";
    std::string id = "wm";
    for (unsigned char b : bytes) {
        id += digits[b >> 4];
        id += digits[b & 15];
    }
    return id;
}

}  // namespace

void register_custom_ads_routes(http::Router &router, Services &services)
{
    const std::string base = "/api/v1/projects/{projectId}/custom-ads";

    router.add("POST", base, [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto project = tenant_in_path(*db, request, "manage", "projectId", "Project not found");
        if (auto *denied = std::get_if<http::Response>(&project)) return *denied;
        auto parsed = json_object_body(request);
        if (auto *bad = std::get_if<http::Response>(&parsed)) return *bad;
        json_t *body = std::get<json::Value>(parsed).get();
        json_t *name = json_object_get(body, "name");
        json_t *wmkt_id = json_object_get(body, "wmktId");
        json_t *currency = json_object_get(body, "currency");
        if (!json_is_string(name) || json_string_length(name) == 0 || json_string_length(name) > 200) {
            return http::error_response(400, "name must be a string of 1 to 200 characters");
        }
        std::string id = wmkt_id ? (json_is_string(wmkt_id) ? json_string_value(wmkt_id) : "") : random_wmkt_id();
        if (id.empty() || id.size() > 64 || id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != std::string::npos) {
            return http::error_response(400, "wmktId must be 1 to 64 letters, digits, _ or -");
        }
        std::string code = currency ? (json_is_string(currency) ? json_string_value(currency) : "") : "HNL";
        if (code.size() != 3 || code.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos) {
            return http::error_response(400, "currency must be an ISO 4217 code such as HNL");
        }
        try {
            auto rows = db->exec("INSERT INTO custom_ads_integrations (tenant_id, wmkt_id, name, currency) VALUES ($1, $2, $3, $4)"
                                 " RETURNING wmkt_id, name, currency, rfc3339(created_at), rfc3339(updated_at)",
                                 {std::to_string(std::get<tenants::Tenant>(project).id), id, json_string_value(name), code});
            return json_response(201, json::take(integration_json(rows, 0)));
        } catch (const postgres::Error &e) {
            if (e.is_unique_violation()) return http::error_response(409, "An integration with wmktId " + id + " exists already");
            throw;
        }
    });

    router.add("GET", base, [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto project = tenant_in_path(*db, request, "reports:read", "projectId", "Project not found");
        if (auto *denied = std::get_if<http::Response>(&project)) return *denied;
        auto page = page_of(request, 1000);
        if (auto *bad = std::get_if<http::Response>(&page)) return *bad;
        std::string tenant = std::to_string(std::get<tenants::Tenant>(project).id);
        long long total = db->exec("SELECT count(*) FROM custom_ads_integrations WHERE tenant_id = $1", {tenant}).integer(0, 0);
        auto rows = db->exec("SELECT wmkt_id, name, currency, rfc3339(created_at), rfc3339(updated_at) FROM custom_ads_integrations"
                             " WHERE tenant_id = $1 ORDER BY name, wmkt_id OFFSET $2 LIMIT $3",
                             {tenant, std::to_string(std::get<Page>(page).offset), std::to_string(std::get<Page>(page).limit)});
        auto data = json::take(json_array());
        for (int row = 0; row < rows.rows(); row++) json_array_append_new(data.get(), integration_json(rows, row));
        return page_response(std::move(data), total);
    });

    router.add("GET", base + "/{wmktId}", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto found = integration_of(*db, request, "reports:read");
        if (auto *denied = std::get_if<http::Response>(&found)) return *denied;
        const auto &integration = std::get<Integration>(found);
        auto rows = db->exec("SELECT wmkt_id, name, currency, rfc3339(created_at), rfc3339(updated_at) FROM custom_ads_integrations"
                             " WHERE tenant_id = $1 AND id = $2", {std::to_string(integration.project.id), integration.id});
        return json_response(200, json::take(integration_json(rows, 0)));
    });

    router.add("PATCH", base + "/{wmktId}", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto found = integration_of(*db, request, "manage");
        if (auto *denied = std::get_if<http::Response>(&found)) return *denied;
        const auto &integration = std::get<Integration>(found);
        auto parsed = json_object_body(request);
        if (auto *bad = std::get_if<http::Response>(&parsed)) return *bad;
        json_t *body = std::get<json::Value>(parsed).get();
        json_t *name = json_object_get(body, "name");
        json_t *currency = json_object_get(body, "currency");
        if (name && !(json_is_string(name) && json_string_length(name) >= 1 && json_string_length(name) <= 200)) {
            return http::error_response(400, "name must be a string of 1 to 200 characters");
        }
        std::string code = json_is_string(currency) ? json_string_value(currency) : "";
        if (currency && (code.size() != 3 || code.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos)) {
            return http::error_response(400, "currency must be an ISO 4217 code such as HNL");
        }
        postgres::Param new_name, new_currency;
        if (name) new_name = std::string(json_string_value(name));
        if (currency) new_currency = code;
        auto result = db->exec("UPDATE custom_ads_integrations SET name = coalesce($3, name), currency = coalesce($4, currency),"
                               " updated_at = now() WHERE tenant_id = $1 AND id = $2"
                               " AND (name, currency) IS DISTINCT FROM (coalesce($3, name), coalesce($4, currency))",
                               {std::to_string(integration.project.id), integration.id, new_name, new_currency});
        return modified(result.affected_rows());
    });

    router.add("GET", base + "/{wmktId}/campaigns", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto found = integration_of(*db, request, "reports:read");
        if (auto *denied = std::get_if<http::Response>(&found)) return *denied;
        const auto &integration = std::get<Integration>(found);
        auto page = page_of(request, 1000);
        if (auto *bad = std::get_if<http::Response>(&page)) return *bad;
        for (const char *name : {"active", "explicit"}) {
            if (auto bad = bad_boolean_filter(request, name)) return *bad;
        }
        auto campaign_id = query_param(request, "campaignId");
        if (campaign_id && !analytics_uuid_is_valid(campaign_id->data(), campaign_id->size())) {
            return http::error_response(400, "campaignId must be a campaign id (a UUID)");
        }
        static const std::map<std::string, std::string> sorts = {
            {"name", "lower(c.name)"}, {"campaignId", "c.id"}, {"active", "c.active"}};
        auto sort = sorts.find(query_param(request, "sort").value_or("name"));
        if (sort == sorts.end()) return http::error_response(400, "sort must be name, campaignId or active");
        bool bad_order = false;
        std::string order = order_of(request, bad_order);
        if (bad_order) return http::error_response(400, "order must be ASC or DESC");

        std::string where = " FROM custom_ads_campaigns c WHERE c.tenant_id = $1 AND c.integration_id = $2"
                            " AND ($3::boolean IS NULL OR c.active = $3) AND ($4::uuid IS NULL OR c.id = $4)"
                            " AND ($5::text IS NULL OR c.campaign_slug = $5)"
                            " AND ($6::text IS NULL OR c.name ILIKE '%' || replace(replace(replace($6, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%')"
                            " AND ($7::boolean IS NULL OR c.explicit = $7)";
        std::vector<postgres::Param> params = {std::to_string(integration.project.id), integration.id, query_param(request, "active"),
                                               campaign_id, query_param(request, "campaignSlug"), query_param(request, "nameLike"),
                                               query_param(request, "explicit")};
        long long total = db->exec("SELECT count(*)" + where, params).integer(0, 0);
        params.push_back(std::to_string(std::get<Page>(page).offset));
        params.push_back(std::to_string(std::get<Page>(page).limit));
        auto rows = db->exec(std::string("SELECT ") + kCampaignColumns + where + " ORDER BY " + sort->second + " " + order
                             + ", lower(c.name), c.id OFFSET $8 LIMIT $9", params);
        auto data = json::take(json_array());
        for (int row = 0; row < rows.rows(); row++) json_array_append_new(data.get(), campaign_json(rows, row, integration));
        return echoed_page(std::move(data), total, std::get<Page>(page));
    });

    router.add("POST", base + "/{wmktId}/campaigns", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto found = integration_of(*db, request, "manage");
        if (auto *denied = std::get_if<http::Response>(&found)) return *denied;
        const auto &integration = std::get<Integration>(found);
        auto parsed = json_object_body(request);
        if (auto *bad = std::get_if<http::Response>(&parsed)) return *bad;
        json_t *body = std::get<json::Value>(parsed).get();
        json_t *slug = json_object_get(body, "campaignSlug");
        json_t *name = json_object_get(body, "name");
        json_t *active = json_object_get(body, "active");
        if (!json_is_string(slug) || json_string_length(slug) == 0 || json_string_length(slug) > 200) {
            return http::error_response(400, "campaignSlug must be a string of 1 to 200 characters");
        }
        if (!json_is_string(name) || json_string_length(name) == 0 || json_string_length(name) > 200) {
            return http::error_response(400, "name must be a string of 1 to 200 characters");
        }
        if (active && !json_is_boolean(active)) return http::error_response(400, "active must be a boolean");
        // a slug traffic already brought (an implicit campaign) becomes this explicit one
        auto rows = db->exec("INSERT INTO custom_ads_campaigns AS c (tenant_id, integration_id, campaign_slug, name, active, explicit)"
                             " VALUES ($1, $2, $3, $4, $5, true) ON CONFLICT (tenant_id, integration_id, campaign_slug)"
                             " DO UPDATE SET name = excluded.name, active = excluded.active, explicit = true, updated_at = now()"
                             " WHERE NOT c.explicit RETURNING id::text",
                             {std::to_string(integration.project.id), integration.id, json_string_value(slug),
                              json_string_value(name), active && json_is_false(active) ? "false" : "true"});
        if (rows.rows() == 0) {
            return http::error_response(409, std::string("A campaign with slug ") + json_string_value(slug)
                                                 + " exists already in this integration");
        }
        return created_id(rows.text(0, 0));
    });

    router.add("GET", base + "/{wmktId}/campaigns/{id}", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto found = campaign_of(*db, request, "reports:read", "id");
        if (auto *denied = std::get_if<http::Response>(&found)) return *denied;
        const auto &[integration, campaign_id] = std::get<Campaign>(found);
        auto rows = db->exec(std::string("SELECT ") + kCampaignColumns + " FROM custom_ads_campaigns c WHERE c.tenant_id = $1 AND c.id = $2",
                             {std::to_string(integration.project.id), campaign_id});
        return json_response(200, json::take(campaign_json(rows, 0, integration)));
    });

    router.add("PATCH", base + "/{wmktId}/campaigns/{id}", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto found = campaign_of(*db, request, "manage", "id");
        if (auto *denied = std::get_if<http::Response>(&found)) return *denied;
        const auto &[integration, campaign_id] = std::get<Campaign>(found);
        auto parsed = json_object_body(request);
        if (auto *bad = std::get_if<http::Response>(&parsed)) return *bad;
        json_t *body = std::get<json::Value>(parsed).get();
        json_t *name = json_object_get(body, "name");
        json_t *active = json_object_get(body, "active");
        if (name && !(json_is_string(name) && json_string_length(name) >= 1 && json_string_length(name) <= 200)) {
            return http::error_response(400, "name must be a string of 1 to 200 characters");
        }
        if (active && !json_is_boolean(active)) return http::error_response(400, "active must be a boolean");
        postgres::Param new_name, new_active;
        if (name) new_name = std::string(json_string_value(name));
        if (active) new_active = json_is_true(active) ? "true" : "false";
        auto result = db->exec("UPDATE custom_ads_campaigns SET name = coalesce($3, name), active = coalesce($4::boolean, active),"
                               " updated_at = now() WHERE tenant_id = $1 AND id = $2"
                               " AND (name, active) IS DISTINCT FROM (coalesce($3, name), coalesce($4::boolean, active))",
                               {std::to_string(integration.project.id), campaign_id, new_name, new_active});
        return modified(result.affected_rows());
    });

    router.add("GET", base + "/{wmktId}/campaigns/{parentCampaignId}/outlays", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto found = campaign_of(*db, request, "reports:read", "parentCampaignId");
        if (auto *denied = std::get_if<http::Response>(&found)) return *denied;
        const auto &[integration, campaign_id] = std::get<Campaign>(found);
        auto page = page_of(request, 1000);
        if (auto *bad = std::get_if<http::Response>(&page)) return *bad;
        static const std::map<std::string, std::string> sorts = {
            {"campaignId", "o.campaign_id"}, {"startDate", "o.start_date"}, {"endDate", "o.end_date"},
            {"amount", "o.amount"}, {"country", "o.country"}, {"region", "o.region"}};
        auto sort = sorts.find(query_param(request, "sort").value_or("startDate"));
        if (sort == sorts.end()) return http::error_response(400, "sort must be campaignId, startDate, endDate, amount, country or region");
        bool bad_order = false;
        std::string order = order_of(request, bad_order);
        if (bad_order) return http::error_response(400, "order must be ASC or DESC");
        auto since = instant_param(request, "since");
        if (auto *bad = std::get_if<http::Response>(&since)) return *bad;
        auto until = instant_param(request, "until");
        if (auto *bad = std::get_if<http::Response>(&until)) return *bad;
        // an outlay counts for a window it overlaps
        std::string where = " FROM custom_ads_outlays o WHERE o.tenant_id = $1 AND o.campaign_id = $2 AND o.deleted_at IS NULL"
                            " AND ($3::timestamptz IS NULL OR o.end_date >= $3) AND ($4::timestamptz IS NULL OR o.start_date <= $4)";
        std::vector<postgres::Param> params = {std::to_string(integration.project.id), campaign_id,
                                               std::get<postgres::Param>(since), std::get<postgres::Param>(until)};
        long long total = db->exec("SELECT count(*)" + where, params).integer(0, 0);
        params.push_back(std::to_string(std::get<Page>(page).offset));
        params.push_back(std::to_string(std::get<Page>(page).limit));
        auto rows = db->exec(std::string("SELECT ") + kOutlayColumns + where + " ORDER BY " + sort->second + " " + order
                             + " NULLS LAST, o.id " + order + " OFFSET $5 LIMIT $6", params);
        auto data = json::take(json_array());
        for (int row = 0; row < rows.rows(); row++) json_array_append_new(data.get(), outlay_json(rows, row, integration));
        return echoed_page(std::move(data), total, std::get<Page>(page));
    });

    router.add("POST", base + "/{wmktId}/campaigns/{parentCampaignId}/outlays", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto found = campaign_of(*db, request, "manage", "parentCampaignId");
        if (auto *denied = std::get_if<http::Response>(&found)) return *denied;
        const auto &[integration, campaign_id] = std::get<Campaign>(found);
        auto parsed = json_object_body(request);
        if (auto *bad = std::get_if<http::Response>(&parsed)) return *bad;
        json_t *body = std::get<json::Value>(parsed).get();
        for (const char *name : {"amount", "startDate", "endDate"}) {
            if (json_object_get(body, name) == nullptr) return http::error_response(400, std::string(name) + " is required");
        }
        std::string problem;
        auto fields = outlay_fields(body, problem);
        if (!fields) return http::error_response(400, problem);
        if (*fields->start >= *fields->end) return http::error_response(400, "startDate must be before endDate");
        auto rows = db->exec("INSERT INTO custom_ads_outlays (tenant_id, integration_id, campaign_id, amount, start_date, end_date,"
                             " country, region) VALUES ($1, $2, $3, $4::numeric, $5, $6, $7, $8) RETURNING id::text",
                             {std::to_string(integration.project.id), integration.id, campaign_id,
                              fields->amount, fields->start, fields->end, fields->country, fields->region});
        return created_id(rows.text(0, 0));
    });

    router.add("GET", base + "/{wmktId}/campaigns/{parentCampaignId}/outlays/{outlayId}",
               [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto found = campaign_of(*db, request, "reports:read", "parentCampaignId");
        if (auto *denied = std::get_if<http::Response>(&found)) return *denied;
        const auto &[integration, campaign_id] = std::get<Campaign>(found);
        const std::string &id = request.path_params["outlayId"];
        if (!analytics_uuid_is_valid(id.data(), id.size())) return http::error_response(404, "Outlay not found");
        auto rows = db->exec(std::string("SELECT ") + kOutlayColumns
                             + " FROM custom_ads_outlays o WHERE o.tenant_id = $1 AND o.campaign_id = $2 AND o.id = $3",
                             {std::to_string(integration.project.id), campaign_id, id});
        if (rows.rows() == 0) return http::error_response(404, "Outlay not found");
        return json_response(200, json::take(outlay_json(rows, 0, integration)));
    });

    router.add("PATCH", base + "/{wmktId}/campaigns/{parentCampaignId}/outlays/{outlayId}",
               [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto found = campaign_of(*db, request, "manage", "parentCampaignId");
        if (auto *denied = std::get_if<http::Response>(&found)) return *denied;
        const auto &[integration, campaign_id] = std::get<Campaign>(found);
        const std::string &id = request.path_params["outlayId"];
        const std::string tenant = std::to_string(integration.project.id);
        if (!analytics_uuid_is_valid(id.data(), id.size())) return http::error_response(404, "Outlay not found");
        auto current = db->exec("SELECT rfc3339(start_date), rfc3339(end_date) FROM custom_ads_outlays"
                                " WHERE tenant_id = $1 AND campaign_id = $2 AND id = $3",
                                {tenant, campaign_id, id});
        if (current.rows() == 0) return http::error_response(404, "Outlay not found");
        auto parsed = json_object_body(request);
        if (auto *bad = std::get_if<http::Response>(&parsed)) return *bad;
        json_t *body = std::get<json::Value>(parsed).get();
        std::string problem;
        auto fields = outlay_fields(body, problem);
        if (!fields) return http::error_response(400, problem);
        std::string start = fields->start.value_or(std::string(current.text(0, 0)));
        std::string end = fields->end.value_or(std::string(current.text(0, 1)));
        if (start >= end) return http::error_response(400, "startDate must be before endDate");
        // campaignId moves the outlay to another campaign of the same integration
        postgres::Param move_to;
        if (json_t *target = json_object_get(body, "campaignId")) {
            if (!json_is_string(target) || !analytics_uuid_is_valid(json_string_value(target), json_string_length(target))
                || db->exec("SELECT 1 FROM custom_ads_campaigns WHERE tenant_id = $1 AND integration_id = $2 AND id = $3",
                            {tenant, integration.id, json_string_value(target)}).rows() == 0)
            {
                return http::error_response(400, "campaignId must name a campaign of this integration");
            }
            move_to = std::string(json_string_value(target));
        }
        auto result = db->exec(
            "UPDATE custom_ads_outlays SET amount = coalesce($4::numeric, amount), start_date = coalesce($5::timestamptz, start_date),"
            " end_date = coalesce($6::timestamptz, end_date), country = coalesce($7, country), region = coalesce($8, region),"
            " campaign_id = coalesce($9::uuid, campaign_id), updated_at = now()"
            " WHERE tenant_id = $1 AND campaign_id = $2 AND id = $3 AND (amount, start_date, end_date, country, region, campaign_id)"
            " IS DISTINCT FROM (coalesce($4::numeric, amount), coalesce($5::timestamptz, start_date), coalesce($6::timestamptz, end_date),"
            " coalesce($7, country), coalesce($8, region), coalesce($9::uuid, campaign_id))",
            {tenant, campaign_id, id, fields->amount, fields->start, fields->end, fields->country,
             fields->region, move_to});
        return modified(result.affected_rows());
    });
}

}  // namespace analytics::routes
