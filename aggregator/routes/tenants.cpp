// /api/v1/admin/tenants: create, list, read and change tenants (admin scope).
// Every change is mirrored to the Redis hash the module reads.
#include "json.h"
#include "routes/authorization.h"
#include "routes/request_body.h"
#include "routes/services.h"
#include "stores/tenant_store.h"

#include "credit_split.h"

namespace analytics::routes {
namespace {

const char *kTimeZoneMessage = "timeZone must be an IANA time zone name such as UTC or Europe/Madrid";

// reads slug, name, active, public, the attribution settings, timeZone and
// origins; returns an error response or nullopt
std::optional<http::Response> read_changes(json_t *body, tenants::TenantChanges &changes, bool creating)
{
    json_t *slug = json_object_get(body, "slug");
    json_t *name = json_object_get(body, "name");
    json_t *active = json_object_get(body, "active");
    json_t *is_public = json_object_get(body, "public");
    json_t *model = json_object_get(body, "attributionModel");
    json_t *lookback = json_object_get(body, "attributionLookbackDays");
    json_t *time_zone = json_object_get(body, "timeZone");
    json_t *origins = json_object_get(body, "origins");

    if (slug) {
        if (!json_is_string(slug) || !tenants::is_valid_slug(json_string_value(slug))) {
            return http::error_response(400, "slug must be 3 to 64 characters of a-z, 0-9 and single hyphens");
        }
        changes.slug = json_string_value(slug);
    } else if (creating) {
        return http::error_response(400, "slug is required");
    }
    if (name) {
        if (!json_is_string(name) || json_string_length(name) == 0 || json_string_length(name) > 200) {
            return http::error_response(400, "name must be a string of 1 to 200 characters");
        }
        changes.name = json_string_value(name);
    } else if (creating) {
        return http::error_response(400, "name is required");
    }
    if (active) {
        if (!json_is_boolean(active)) return http::error_response(400, "active must be a boolean");
        changes.active = json_is_true(active);
    }
    if (is_public) {
        if (!json_is_boolean(is_public)) return http::error_response(400, "public must be a boolean");
        changes.is_public = json_is_true(is_public);
    }
    if (model) {
        analytics_attribution_model parsed;
        if (!json_is_string(model) || analytics_attribution_model_parse(json_string_value(model), &parsed) != 0) {
            return http::error_response(400, "attributionModel must be one of last_non_direct, first_touch, linear,"
                                             " position_based, time_decay");
        }
        changes.attribution_model = json_string_value(model);
    }
    if (lookback) {
        if (!json_is_integer(lookback) || json_integer_value(lookback) < 1 || json_integer_value(lookback) > 365) {
            return http::error_response(400, "attributionLookbackDays must be an integer from 1 to 365");
        }
        changes.attribution_lookback_days = static_cast<int>(json_integer_value(lookback));
    }
    if (time_zone) {
        if (!json_is_string(time_zone)) return http::error_response(400, kTimeZoneMessage);
        changes.time_zone = json_string_value(time_zone);
    }
    if (origins) {
        std::string message;
        changes.origins = tenants::parse_origins(origins, message);
        if (!changes.origins) return http::error_response(400, message);
    }
    return std::nullopt;
}

// the changes a POST or PATCH body asks for, or the response refusing them
tenants::TenantChanges changes_of(const http::Request &request, bool creating)
{
    auto body = json_object_body(request);
    tenants::TenantChanges changes;
    if (auto bad = read_changes(body.get(), changes, creating)) http::refuse(*bad);
    return changes;
}

// the zone checked against the tz database PostgreSQL reads
void check_time_zone(postgres::Connection &db, const tenants::TenantChanges &changes)
{
    if (changes.time_zone && !tenants::is_known_time_zone(db, *changes.time_zone)) {
        http::refuse(400, kTimeZoneMessage);
    }
}

http::Response tenant_response(int status, const tenants::Tenant &tenant)
{
    return json_response(status, json::take(tenants::to_json(tenant)));
}

}  // namespace

void register_tenant_routes(http::Router &router, Services &services)
{
    router.add("POST", "/api/v1/admin/tenants", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto auth = authorize(*db, request, "admin");

        auto changes = changes_of(request, true);
        check_time_zone(*db, changes);

        auto tenant = tenants::create(*db, services.module_cache, changes);
        if (!tenant) return http::error_response(409, "A tenant with slug " + *changes.slug + " exists already");
        return tenant_response(201, *tenant);
    });

    router.add("GET", "/api/v1/admin/tenants", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto auth = authorize(*db, request, "admin");
        auto page = page_of(request, 1000);

        return page_response(tenants::list(*db, page), tenants::to_json);
    });

    router.add("GET", "/api/v1/admin/tenants/{tenant}", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto auth = authorize(*db, request, "admin");
        auto tenant = tenants::find(*db, request.path_params["tenant"]);
        if (!tenant) return http::error_response(404, "Tenant not found");
        return tenant_response(200, *tenant);
    });

    router.add("PATCH", "/api/v1/admin/tenants/{tenant}", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto auth = authorize(*db, request, "admin");
        auto changes = changes_of(request, false);
        check_time_zone(*db, changes);

        auto before = tenants::find(*db, request.path_params["tenant"]);
        if (!before) return http::error_response(404, "Tenant not found");
        auto after = tenants::update(*db, services.module_cache, *before, changes);
        if (after.outcome == stores::Outcome::duplicate) {
            return http::error_response(409, "A tenant with slug " + changes.slug.value_or("") + " exists already");
        }
        if (!after.row) return http::error_response(404, "Tenant not found");
        return tenant_response(200, *after.row);
    });
}

}  // namespace analytics::routes
