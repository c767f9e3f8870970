// /api/v1/admin/tenants/{tenant}/orders/{order_session}: the orders a shop
// backend registers so that mark-purchase-tracked can answer for them
// (manage scope on the own tenant, or admin).
#include "json.h"
#include "stores/order_store.h"
#include "routes/authorization.h"
#include "routes/request_body.h"
#include "routes/services.h"
#include "routes/tenant_list.h"
#include "stores/tenant_store.h"

#include "order_mark_request.h"

#include <regex>

namespace analytics::routes {

void register_order_routes(http::Router &router, Services &services)
{
    router.add("PUT", "/api/v1/admin/tenants/{tenant}/orders/{session}", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto tenant = managed_tenant(*db, request);
        const auto &session = request.path_params["session"];
        if (!analytics_order_session_is_valid(session.data(), session.size())) {
            return http::error_response(400, "order_session must be 1 to 191 letters, digits, dots, colons, underscores or hyphens");
        }
        auto parsed = json_object_body(request);
        json_t *body = parsed.get();

        static const std::regex status_pattern("^[a-z_]{1,32}$");
        json_t *status = json_object_get(body, "payment_status");
        if (!json_is_string(status) || !std::regex_match(json_string_value(status), status_pattern)) {
            return http::error_response(400, "payment_status must be a word such as paid, pending or refunded");
        }
        std::string problem;
        auto purchase = orders::purchase_json(json_object_get(body, "purchase"), problem);
        if (!purchase) return http::error_response(400, problem);

        long long tenant_id = tenant.id;
        auto order = orders::upsert(*db, services.module_cache, tenant_id, session, json_string_value(status), *purchase);
        return json_response(order.created ? 201 : 200, json::take(orders::to_json(order)));
    });

    router.add("GET", "/api/v1/admin/tenants/{tenant}/orders", tenant_list(services, orders::list, orders::to_json));

    router.add("GET", "/api/v1/admin/tenants/{tenant}/orders/{session}", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto tenant = managed_tenant(*db, request);
        auto order = orders::find(*db, tenant.id, request.path_params["session"]);
        if (!order) return http::error_response(404, "Order not found");
        return json_response(200, json::take(orders::to_json(*order)));
    });
}

}  // namespace analytics::routes
