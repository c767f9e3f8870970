// /api/v1/admin/tenants/{tenant}/funnel-steps: the step names funnel/track
// accepts for the tenant (admin scope, or the tenant's own token with the
// manage scope; another tenant's token gets 404). PUT replaces them; an
// empty list goes back to the defaults (default_funnel_steps() in SQL).
// Every change is mirrored to the Redis hash the module checks steps against.
#include "json.h"
#include "routes/authorization.h"
#include "routes/request_body.h"
#include "routes/services.h"

#include "funnel_track_request.h"

#include <set>

namespace analytics::routes {
namespace {

constexpr size_t kMaxSteps = 100;

http::Response steps_response(postgres::Connection &db, long long tenant_id)
{
    auto result = db.exec("SELECT EXISTS (SELECT 1 FROM funnel_steps WHERE tenant_id = $1),"
                          " array_to_json(string_to_array(funnel_steps_of($1), ','))::text",
                          {std::to_string(tenant_id)});
    auto body = json::take(json_object());
    json_object_set_new(body.get(), "configured", json_boolean(result.boolean(0, 0)));
    if (auto steps = json::parse(result.text(0, 1))) {
        json_object_set(body.get(), "data", steps->get());
    } else {
        json_object_set_new(body.get(), "data", json_array());
    }
    return json_response(200, std::move(body));
}

}  // namespace

void register_funnel_step_routes(http::Router &router, Services &services)
{
    router.add("GET", "/api/v1/admin/tenants/{tenant}/funnel-steps", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto tenant = managed_tenant(*db, request);
        if (auto *denied = std::get_if<http::Response>(&tenant)) return *denied;
        return steps_response(*db, std::get<tenants::Tenant>(tenant).id);
    });

    router.add("PUT", "/api/v1/admin/tenants/{tenant}/funnel-steps", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto tenant = managed_tenant(*db, request);
        if (auto *denied = std::get_if<http::Response>(&tenant)) return *denied;
        auto parsed = json_object_body(request);
        if (auto *bad = std::get_if<http::Response>(&parsed)) return *bad;
        json_t *list = json_object_get(std::get<json::Value>(parsed).get(), "steps");
        if (!json_is_array(list) || json_array_size(list) > kMaxSteps) {
            return http::error_response(400, "steps must be an array of at most 100 step names");
        }
        std::vector<std::string> steps;
        std::set<std::string> seen;
        size_t i;
        json_t *step;
        json_array_foreach(list, i, step) {
            std::string where = "steps[" + std::to_string(i) + "]";
            if (!json_is_string(step) || !analytics_funnel_step_name_is_valid(json_string_value(step), json_string_length(step))) {
                return http::error_response(400, where + " must be 1 to 64 of a-z, 0-9 and _");
            }
            if (!seen.insert(json_string_value(step)).second) {
                return http::error_response(400, where + " repeats an earlier step");
            }
            steps.emplace_back(json_string_value(step));
        }

        long long tenant_id = std::get<tenants::Tenant>(tenant).id;
        {
            postgres::Transaction tx(*db);
            db->exec("DELETE FROM funnel_steps WHERE tenant_id = $1", {std::to_string(tenant_id)});
            for (size_t n = 0; n < steps.size(); n++) {
                db->exec("INSERT INTO funnel_steps (tenant_id, position, name) VALUES ($1, $2, $3)",
                         {std::to_string(tenant_id), std::to_string(n), steps[n]});
            }
            tx.commit();
        }
        mirror_or_warn("funnel steps of tenant " + std::to_string(tenant_id),
                       [&] { services.module_cache.publish_funnel_steps(*db, tenant_id); });
        return steps_response(*db, tenant_id);
    });
}

}  // namespace analytics::routes
