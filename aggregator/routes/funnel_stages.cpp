// /api/v1/admin/tenants/{tenant}/funnel-stages: the stages of the tenant's
// funnel report (admin scope, or the tenant's own token with the manage
// scope; another tenant's token gets 404). PUT replaces them all; an empty
// list goes back to the defaults.
#include "stores/funnel_stage_store.h"
#include "json.h"
#include "routes/authorization.h"
#include "routes/request_body.h"
#include "routes/services.h"

#include <set>

namespace analytics::routes {
namespace {

std::vector<funnels::FunnelStage> stages_in(json_t *body)
{
    json_t *list = json_object_get(body, "stages");
    if (!json_is_array(list) || json_array_size(list) > funnels::kMaxStages) {
        http::refuse(400, "stages must be an array of at most 20 stages");
    }
    std::vector<funnels::FunnelStage> stages;
    std::set<std::string> names;
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        std::string where = "stages[" + std::to_string(i) + "]";
        json_t *name = json_object_get(item, "name");
        json_t *types = json_object_get(item, "eventTypes");
        if (!json_is_string(name) || !funnels::is_valid_stage_name(json_string_value(name))) {
            http::refuse(400, where + ".name must be 1 to 64 letters, digits, spaces, _ . or -,"
                                                     " starting with a letter or digit, and not clicks, Source,"
                                                     " Medium or Campaign");
        }
        if (!names.insert(json_string_value(name)).second) {
            http::refuse(400, where + ".name repeats an earlier stage");
        }
        if (!json_is_array(types) || json_array_size(types) == 0 || json_array_size(types) > funnels::kMaxEventTypes) {
            http::refuse(400, where + ".eventTypes must be an array of 1 to 50 event types");
        }
        funnels::FunnelStage stage{json_string_value(name), {}};
        size_t j;
        json_t *type;
        json_array_foreach(types, j, type) {
            if (!json_is_string(type) || !funnels::is_valid_event_type(json_string_value(type))) {
                http::refuse(400, where + ".eventTypes[" + std::to_string(j)
                                                     + "] must be 1 to 64 letters, digits, _ . : or -");
            }
            stage.event_types.emplace_back(json_string_value(type));
        }
        stages.push_back(std::move(stage));
    }
    return stages;
}

}  // namespace

void register_funnel_stage_routes(http::Router &router, Services &services)
{
    router.add("GET", "/api/v1/admin/tenants/{tenant}/funnel-stages", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto tenant = managed_tenant(*db, request);
        bool configured = false;
        auto stages = funnels::stages_of(*db, tenant.id, configured);
        return json_response(200, json::take(funnels::to_json(stages, configured)));
    });

    router.add("PUT", "/api/v1/admin/tenants/{tenant}/funnel-stages", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto tenant = managed_tenant(*db, request);
        auto parsed = json_object_body(request);
        auto stages = stages_in(parsed.get());

        long long tenant_id = tenant.id;
        funnels::replace_stages(*db, tenant_id, stages);
        bool configured = false;
        auto now = funnels::stages_of(*db, tenant_id, configured);
        return json_response(200, json::take(funnels::to_json(now, configured)));
    });
}

}  // namespace analytics::routes
