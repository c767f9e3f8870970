// /api/v1/admin/tenants/{tenant}/products: the products a tenant sells, which
// the track endpoint checks product_id against (admin scope, or the tenant's
// own token with the manage scope; another tenant's token gets 404).
#include "json.h"
#include "stores/product_store.h"
#include "routes/authorization.h"
#include "routes/request_body.h"
#include "routes/services.h"
#include "routes/tenant_list.h"
#include "stores/tenant_store.h"


namespace analytics::routes {
namespace {

std::optional<long long> product_id_of(const std::string &text)
{
    long long id = 0;
    if (!parse_whole(text, id) || id < 1) return std::nullopt;
    return id;
}

// name and sku of a create (name required) or update body; sku null clears it
struct ProductFields {
    std::optional<std::string> name;
    std::optional<std::string> sku;
    bool clear_sku = false;
};

ProductFields product_fields(json_t *body, bool creating)
{
    ProductFields fields;
    json_t *name = json_object_get(body, "name");
    json_t *sku = json_object_get(body, "sku");
    if (name || creating) {
        if (!json_is_string(name) || json_string_length(name) == 0 || json_string_length(name) > 200) {
            http::refuse(400, "name must be a string of 1 to 200 characters");
        }
        fields.name = json_string_value(name);
    }
    if (sku && !json_is_null(sku)) {
        if (!json_is_string(sku) || json_string_length(sku) == 0 || json_string_length(sku) > 100) {
            http::refuse(400, "sku must be a string of 1 to 100 characters");
        }
        fields.sku = json_string_value(sku);
    }
    fields.clear_sku = sku && json_is_null(sku);
    return fields;
}

http::Response sku_taken(const ProductFields &fields)
{
    return http::error_response(409, "A product with sku " + fields.sku.value_or("") + " exists already");
}

}  // namespace

void register_product_routes(http::Router &router, Services &services)
{
    router.add("POST", "/api/v1/admin/tenants/{tenant}/products", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto tenant = managed_tenant(*db, request);
        auto parsed = json_object_body(request);
        auto wanted = product_fields(parsed.get(), true);
        auto product = products::create(*db, services.module_cache, tenant.id, *wanted.name,
                                        wanted.sku);
        if (!product) return sku_taken(wanted);
        return json_response(201, json::take(products::to_json(*product)));
    });

    router.add("GET", "/api/v1/admin/tenants/{tenant}/products",
               tenant_list(services, products::list, products::to_json));

    router.add("GET", "/api/v1/admin/tenants/{tenant}/products/{id}", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto tenant = managed_tenant(*db, request);
        auto id = product_id_of(request.path_params["id"]);
        auto product = id ? products::find(*db, tenant.id, *id) : std::nullopt;
        if (!product) return http::error_response(404, "Product not found");
        return json_response(200, json::take(products::to_json(*product)));
    });

    router.add("PATCH", "/api/v1/admin/tenants/{tenant}/products/{id}", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto tenant = managed_tenant(*db, request);
        auto id = product_id_of(request.path_params["id"]);
        if (!id) return http::error_response(404, "Product not found");
        auto parsed = json_object_body(request);
        auto wanted = product_fields(parsed.get(), false);
        auto product = products::update(*db, tenant.id, *id, wanted.name, wanted.sku,
                                        wanted.clear_sku);
        if (product.outcome == stores::Outcome::duplicate) return sku_taken(wanted);
        if (!product.row) return http::error_response(404, "Product not found");
        return json_response(200, json::take(products::to_json(*product.row)));
    });

    router.add("DELETE", "/api/v1/admin/tenants/{tenant}/products/{id}", [&services](http::Request &request) {
        auto db = services.db.borrow();
        auto tenant = managed_tenant(*db, request);
        auto id = product_id_of(request.path_params["id"]);
        long long tenant_id = tenant.id;
        if (!id || !products::remove(*db, services.module_cache, tenant_id, *id)) {
            return http::error_response(404, "Product not found");
        }
        return http::Response{204, "", "application/json", {}};
    });
}

}  // namespace analytics::routes
