// The API's routes, in one list: the server registers them, and
// `aggregator routes` prints them for the OpenAPI check (t/16_openapi.t).
#include "routes/services.h"

namespace analytics::routes {

void register_all_routes(http::Router &router, Services &services)
{
    register_health_routes(router, services);
    register_tenant_routes(router, services);
    register_token_routes(router, services);
    register_product_routes(router, services);
    register_order_routes(router, services);
    register_funnel_stage_routes(router, services);
    register_funnel_step_routes(router, services);
    register_funnel_progress_routes(router, services);
    register_event_type_routes(router, services);
    register_project_event_routes(router, services);
    register_computed_event_routes(router, services);
    register_custom_ads_routes(router, services);
    register_offline_interaction_routes(router, services);
    register_insight_routes(router, services);
    register_funnel_report_routes(router, services);
}

}  // namespace analytics::routes
