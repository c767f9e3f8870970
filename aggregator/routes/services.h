// What route handlers share: the database pool, the Redis caches, counters.
#pragma once

#include "redis/module_cache.h"
#include "http/router.h"
#include "ingest/stream_consumer.h"
#include "postgres/connection.h"
#include "settings.h"

#include <string>

namespace analytics::routes {

struct Services {
    const Settings &settings;
    postgres::Pool &db;
    cache::ModuleCache &module_cache;
    ingest::ConsumerCounters &counters;
};

// every route of the API; the OpenAPI document (docs/openapi.json) is checked against them
void register_all_routes(http::Router &router, Services &services);

void register_health_routes(http::Router &router, Services &services);
void register_tenant_routes(http::Router &router, Services &services);
void register_token_routes(http::Router &router, Services &services);
void register_product_routes(http::Router &router, Services &services);
void register_order_routes(http::Router &router, Services &services);
void register_funnel_stage_routes(http::Router &router, Services &services);
void register_funnel_step_routes(http::Router &router, Services &services);
void register_funnel_progress_routes(http::Router &router, Services &services);
void register_event_type_routes(http::Router &router, Services &services);
void register_project_event_routes(http::Router &router, Services &services);
void register_computed_event_routes(http::Router &router, Services &services);
void register_custom_ads_routes(http::Router &router, Services &services);
void register_offline_interaction_routes(http::Router &router, Services &services);
void register_insight_routes(http::Router &router, Services &services);
void register_funnel_report_routes(http::Router &router, Services &services);

}  // namespace analytics::routes
