// /api/v1/admin/tenants/{tenant}/funnel-steps: the step names funnel/track
// accepts for the tenant (admin scope, or the tenant's own token with the
// manage scope; another tenant's token gets 404). PUT replaces them; an
// empty list goes back to the defaults (stores/funnel_step_store).
#include "json.h"
#include "routes/authorization.h"
#include "routes/request_body.h"
#include "routes/services.h"
#include "stores/funnel_step_store.h"

#include "funnel_track_request.h"

#include <set>

namespace analytics::routes {
namespace {

http::Response steps_response(postgres::Connection &db, long long tenant_id)
{
    auto steps = funnel_steps::steps_of(db, tenant_id);
    auto body = json::take(json_object());
    json_object_set_new(body.get(), "configured", json_boolean(steps.configured));
    json_t *data = json_array();
    for (const auto &name : steps.names) json_array_append_new(data, json::string(name));
    json_object_set_new(body.get(), "data", data);
    return json_response(200, std::move(body));
}

}  // namespace

void register_funnel_step_routes(http::Router &router, Services &services)
{
    router.add("GET", "/api/v1/admin/tenants/{tenant}/funnel-steps", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto tenant = managed_tenant(*db, request);
        return steps_response(*db, tenant.id);
    });

    router.add("PUT", "/api/v1/admin/tenants/{tenant}/funnel-steps", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto tenant = managed_tenant(*db, request);
        auto parsed = json_object_body(request);
        json_t *list = json_object_get(parsed.get(), "steps");
        if (!json_is_array(list) || json_array_size(list) > funnel_steps::kMaxSteps) {
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

        long long tenant_id = tenant.id;
        funnel_steps::replace_steps(*db, services.module_cache, tenant_id, steps);
        return steps_response(*db, tenant_id);
    });
}

}  // namespace analytics::routes
