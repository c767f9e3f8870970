// /api/v1/admin/tenants/{tenant}/products: the products a tenant sells, which
// the track endpoint checks product_id against (admin scope, or the tenant's
// own token with the manage scope; another tenant's token gets 404).
#include "json.h"
#include "stores/product_store.h"
#include "routes/authorization.h"
#include "routes/request_body.h"
#include "routes/services.h"
#include "stores/tenant_store.h"


namespace analytics::routes {
namespace {

std::optional<long long> product_id_of(const std::string &text)
{
    long long id = 0;
    if (!parse_whole(text, id) || id < 1) return std::nullopt;
    return id;
}

}  // namespace

void register_product_routes(http::Router &router, Services &services)
{
    router.add("POST", "/api/v1/admin/tenants/{tenant}/products", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto tenant = managed_tenant(*db, request);
        if (auto *denied = std::get_if<http::Response>(&tenant)) return *denied;
        auto parsed = json_object_body(request);
        if (auto *bad = std::get_if<http::Response>(&parsed)) return *bad;
        json_t *body = std::get<json::Value>(parsed).get();

        json_t *name = json_object_get(body, "name");
        if (!json_is_string(name) || json_string_length(name) == 0 || json_string_length(name) > 200) {
            return http::error_response(400, "name must be a string of 1 to 200 characters");
        }
        json_t *sku = json_object_get(body, "sku");
        std::optional<std::string> sku_text;
        if (sku && !json_is_null(sku)) {
            if (!json_is_string(sku) || json_string_length(sku) == 0 || json_string_length(sku) > 100) {
                return http::error_response(400, "sku must be a string of 1 to 100 characters");
            }
            sku_text = json_string_value(sku);
        }
        try {
            auto product = products::create(*db, std::get<tenants::Tenant>(tenant).id, json_string_value(name), sku_text);
            mirror_or_warn("product " + std::to_string(product.id),
                           [&] { services.module_cache.publish_product(product.tenant_id, product.id); });
            return json_response(201, json::take(products::to_json(product)));
        } catch (const postgres::Error &e) {
            if (e.is_unique_violation()) {
                return http::error_response(409, "A product with sku " + *sku_text + " exists already");
            }
            throw;
        }
    });

    router.add("GET", "/api/v1/admin/tenants/{tenant}/products", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto tenant = managed_tenant(*db, request);
        if (auto *denied = std::get_if<http::Response>(&tenant)) return *denied;
        auto page = page_of(request, 1000);
        if (auto *bad = std::get_if<http::Response>(&page)) return *bad;
        long long total = 0;
        auto found = products::list(*db, std::get<tenants::Tenant>(tenant).id, std::get<Page>(page).offset,
                                    std::get<Page>(page).limit, total);
        auto data = json::take(json_array());
        for (const auto &product : found) json_array_append_new(data.get(), products::to_json(product));
        return page_response(std::move(data), total);
    });

    router.add("GET", "/api/v1/admin/tenants/{tenant}/products/{id}", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto tenant = managed_tenant(*db, request);
        if (auto *denied = std::get_if<http::Response>(&tenant)) return *denied;
        auto id = product_id_of(request.path_params["id"]);
        auto product = id ? products::find(*db, std::get<tenants::Tenant>(tenant).id, *id) : std::nullopt;
        if (!product) return http::error_response(404, "Product not found");
        return json_response(200, json::take(products::to_json(*product)));
    });

    router.add("PATCH", "/api/v1/admin/tenants/{tenant}/products/{id}", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto tenant = managed_tenant(*db, request);
        if (auto *denied = std::get_if<http::Response>(&tenant)) return *denied;
        auto id = product_id_of(request.path_params["id"]);
        if (!id) return http::error_response(404, "Product not found");
        auto parsed = json_object_body(request);
        if (auto *bad = std::get_if<http::Response>(&parsed)) return *bad;
        json_t *body = std::get<json::Value>(parsed).get();
        json_t *name = json_object_get(body, "name");
        json_t *sku = json_object_get(body, "sku");
        std::optional<std::string> new_name, new_sku;
        if (name) {
            if (!json_is_string(name) || json_string_length(name) == 0 || json_string_length(name) > 200) {
                return http::error_response(400, "name must be a string of 1 to 200 characters");
            }
            new_name = json_string_value(name);
        }
        if (sku && !json_is_null(sku)) {
            if (!json_is_string(sku) || json_string_length(sku) == 0 || json_string_length(sku) > 100) {
                return http::error_response(400, "sku must be a string of 1 to 100 characters");
            }
            new_sku = json_string_value(sku);
        }
        try {
            auto product = products::update(*db, std::get<tenants::Tenant>(tenant).id, *id, new_name, new_sku,
                                            sku && json_is_null(sku));
            if (!product) return http::error_response(404, "Product not found");
            return json_response(200, json::take(products::to_json(*product)));
        } catch (const postgres::Error &e) {
            if (e.is_unique_violation()) return http::error_response(409, "A product with sku " + *new_sku + " exists already");
            throw;
        }
    });

    router.add("DELETE", "/api/v1/admin/tenants/{tenant}/products/{id}", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto tenant = managed_tenant(*db, request);
        if (auto *denied = std::get_if<http::Response>(&tenant)) return *denied;
        auto id = product_id_of(request.path_params["id"]);
        long long tenant_id = std::get<tenants::Tenant>(tenant).id;
        if (!id || !products::remove(*db, tenant_id, *id)) return http::error_response(404, "Product not found");
        mirror_or_warn("product " + std::to_string(*id),
                       [&] { services.module_cache.forget_product(tenant_id, *id); });
        return http::Response{204, "", "application/json", {}};
    });
}

}  // namespace analytics::routes
