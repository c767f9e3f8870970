#include "stores/tenant_store.h"
#include "json.h"
#include "stores/list_query.h"

#include "conversion_request.h"
#include "event_id.h"
#include "web_origin.h"

#include <algorithm>

namespace analytics::tenants {
namespace {

constexpr const char *kColumns =
    "id, uuid, slug, name, active, public, attribution_model, attribution_lookback_days, time_zone,"
    " rfc3339(created_at),"
    " rfc3339(updated_at), array_to_string(origins, E'\\n')";

// origins joined by newlines, as array_to_string gives them (NULL: none registered)
Origins split_origins(const std::optional<std::string> &joined)
{
    if (!joined) return std::nullopt;
    std::vector<std::string> origins;
    size_t start = 0;
    while (start < joined->size()) {
        size_t end = joined->find('\n', start);
        if (end == std::string::npos) end = joined->size();
        origins.push_back(joined->substr(start, end - start));
        start = end + 1;
    }
    return origins;
}

Tenant row(const postgres::Result &result, int i)
{
    return Tenant{result.integer(i, 0), std::string(result.text(i, 1)), std::string(result.text(i, 2)),
                  std::string(result.text(i, 3)), result.boolean(i, 4), result.boolean(i, 5),
                  std::string(result.text(i, 6)), static_cast<int>(result.integer(i, 7)),
                  std::string(result.text(i, 8)), split_origins(result.optional_text(i, 11)),
                  std::string(result.text(i, 9)), std::string(result.text(i, 10))};
}

// a PostgreSQL array literal; normalised origins hold no quote, backslash,
// comma or brace
postgres::Param origins_param(const Origins &origins)
{
    if (!origins) return std::nullopt;
    std::string literal = "{";
    for (const auto &origin : *origins) {
        if (literal.size() > 1) literal += ',';
        literal += '"' + origin + '"';
    }
    return literal + "}";
}

postgres::Param flag(const std::optional<bool> &value)
{
    if (!value) return std::nullopt;
    return std::string(*value ? "true" : "false");
}

postgres::Param number_param(const std::optional<int> &value)
{
    if (!value) return std::nullopt;
    return std::to_string(*value);
}

bool is_number(const std::string &text)
{
    return !text.empty() && text.size() <= 18
           && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::optional<Origins> parse_origins(json_t *value, std::string &message)
{
    message = "origins must be null or an array of at most " + std::to_string(kMaxOrigins)
              + " origins such as https://shop.example (scheme, host and port; no path)";
    if (json_is_null(value)) return Origins{};
    if (!json_is_array(value) || json_array_size(value) > kMaxOrigins) return std::nullopt;
    std::vector<std::string> origins;
    size_t index;
    json_t *item;
    json_array_foreach(value, index, item) {
        char normalised[ANALYTICS_ORIGIN_MAX + 1];
        if (!json_is_string(item)
            || analytics_origin_normalise(json_string_value(item), json_string_length(item), normalised,
                                          sizeof(normalised)) == 0)
        {
            message = "origins[" + std::to_string(index) + "] must be an origin such as https://shop.example"
                      " (http or https, a host, an optional port; no path, query or user)";
            return std::nullopt;
        }
        if (std::find(origins.begin(), origins.end(), normalised) == origins.end()) origins.emplace_back(normalised);
    }
    return Origins{std::move(origins)};
}

bool is_valid_slug(const std::string &slug)
{
    return analytics_slug_is_valid(slug.data(), slug.size());
}

bool is_known_time_zone(postgres::Connection &db, const std::string &name)
{
    // names only: pg_timezone_names also lists "posixrules" and friends,
    // which no one means
    if (name.empty() || name.size() > 64 || name == "posixrules" || name.starts_with("posix/")
        || !std::all_of(name.begin(), name.end(), [](char c) {
               return std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' || c == '-' || c == '+';
           })
        || !(std::isalpha(static_cast<unsigned char>(name[0]))))
    {
        return false;
    }
    return db.exec("SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = $1)", {name}).boolean(0, 0);
}

std::optional<Tenant> create(postgres::Connection &db, cache::ModuleCache &mirror, const TenantChanges &changes)
{
    auto result = postgres::unless_duplicate([&] { return db.exec(std::string("INSERT INTO tenants (slug, name, active, public, attribution_model,"
                                      " attribution_lookback_days, time_zone, origins) VALUES ($1, $2, coalesce($3::boolean, true),"
                                      " coalesce($4::boolean, true), coalesce($5, 'last_non_direct'),"
                                      " coalesce($6::integer, 30), coalesce($7, 'UTC'), $8::text[]) RETURNING ") + kColumns,
                          {changes.slug, changes.name, flag(changes.active), flag(changes.is_public),
                           changes.attribution_model, number_param(changes.attribution_lookback_days),
                           changes.time_zone, origins_param(changes.origins.value_or(Origins{}))}); });
    if (!result) return std::nullopt;
    Tenant tenant = row(*result, 0);
    cache::mirror_or_warn("tenant " + std::to_string(tenant.id), [&] {
        mirror.publish(tenant, std::nullopt);
        mirror.publish_funnel_steps(db, tenant.id);
    });
    return tenant;
}

std::optional<Tenant> find(postgres::Connection &db, const std::string &reference)
{
    std::string where;
    if (is_number(reference)) {
        where = "id = $1::bigint";
    } else if (analytics_uuid_is_valid(reference.data(), reference.size())) {
        where = "uuid = $1::uuid";
    } else if (is_valid_slug(reference)) {
        where = "slug = $1";
    } else {
        return std::nullopt;
    }
    auto result = db.exec(std::string("SELECT ") + kColumns + " FROM tenants WHERE " + where, {reference});
    if (result.rows() == 0) return std::nullopt;
    return row(result, 0);
}

stores::Listed<Tenant> list(postgres::Connection &db, stores::Window window)
{
    return stores::fetch_listed(db, stores::ListQuery{kColumns, " FROM tenants", "id"}, {}, window, row);
}

stores::Written<Tenant> update(postgres::Connection &db, cache::ModuleCache &mirror, const Tenant &before,
                               const TenantChanges &changes)
{
    auto attempt = postgres::unless_duplicate([&]() -> std::optional<Tenant> {
        auto result = db.exec(std::string("UPDATE tenants SET slug = coalesce($2, slug), name = coalesce($3, name),"
                                      " active = coalesce($4::boolean, active), public = coalesce($5::boolean, public),"
                                      " attribution_model = coalesce($6, attribution_model),"
                                      " attribution_lookback_days = coalesce($7::integer, attribution_lookback_days),"
                                      " time_zone = coalesce($8, time_zone),"
                                      " origins = CASE WHEN $9::boolean THEN $10::text[] ELSE origins END,"
                                      " updated_at = now() WHERE id = $1 RETURNING ") + kColumns,
                          {std::to_string(before.id), changes.slug, changes.name, flag(changes.active),
                           flag(changes.is_public), changes.attribution_model,
                           number_param(changes.attribution_lookback_days), changes.time_zone,
                           flag(changes.origins.has_value()), origins_param(changes.origins.value_or(Origins{}))});
        if (result.rows() == 0) return std::nullopt;
        return row(result, 0);
    });
    auto written = stores::Written<Tenant>::of(std::move(attempt));
    if (written.row) {
        cache::mirror_or_warn("tenant " + std::to_string(before.id), [&] { mirror.publish(*written.row, before.slug); });
    }
    return written;
}

json_t *to_json(const Tenant &tenant)
{
    json_t *object = json_object();
    json_object_set_new(object, "id", json_integer(tenant.id));
    json_object_set_new(object, "uuid", json::string(tenant.uuid));
    json_object_set_new(object, "slug", json::string(tenant.slug));
    json_object_set_new(object, "name", json::string(tenant.name));
    json_object_set_new(object, "active", json_boolean(tenant.active));
    json_object_set_new(object, "public", json_boolean(tenant.is_public));
    json_object_set_new(object, "attributionModel", json::string(tenant.attribution_model));
    json_object_set_new(object, "attributionLookbackDays", json_integer(tenant.attribution_lookback_days));
    json_object_set_new(object, "timeZone", json::string(tenant.time_zone));
    if (tenant.origins) {
        json_t *origins = json_array();
        for (const auto &origin : *tenant.origins) json_array_append_new(origins, json::string(origin));
        json_object_set_new(object, "origins", origins);
    } else {
        json_object_set_new(object, "origins", json_null());
    }
    json_object_set_new(object, "createdAt", json::string(tenant.created_at));
    json_object_set_new(object, "updatedAt", json::string(tenant.updated_at));
    return object;
}

}  // namespace analytics::tenants
