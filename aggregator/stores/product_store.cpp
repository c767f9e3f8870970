#include "stores/product_store.h"
#include "json.h"
#include "stores/list_query.h"

namespace analytics::products {
namespace {

constexpr const char *kColumns = "id, tenant_id, name, sku, rfc3339(created_at)";

Product row(const postgres::Result &result, int i)
{
    return Product{result.integer(i, 0), result.integer(i, 1), std::string(result.text(i, 2)),
                   result.optional_text(i, 3), std::string(result.text(i, 4))};
}

}  // namespace

std::optional<Product> create(postgres::Connection &db, cache::ModuleCache &mirror, long long tenant_id,
                              const std::string &name, const std::optional<std::string> &sku)
{
    auto result = postgres::unless_duplicate([&] {
        return db.exec(std::string("INSERT INTO products (tenant_id, name, sku) VALUES ($1, $2, $3) RETURNING ")
                           + kColumns,
                       {std::to_string(tenant_id), name, sku});
    });
    if (!result) return std::nullopt;
    Product product = row(*result, 0);
    cache::mirror_or_warn("product " + std::to_string(product.id),
                          [&] { mirror.publish_product(product.tenant_id, product.id); });
    return product;
}

std::optional<Product> find(postgres::Connection &db, long long tenant_id, long long id)
{
    auto result = db.exec(std::string("SELECT ") + kColumns + " FROM products WHERE tenant_id = $1 AND id = $2",
                          {std::to_string(tenant_id), std::to_string(id)});
    if (result.rows() == 0) return std::nullopt;
    return row(result, 0);
}

stores::Listed<Product> list(postgres::Connection &db, long long tenant_id, stores::Window window)
{
    stores::ListQuery query{kColumns, " FROM products WHERE tenant_id = $1", "id"};
    return stores::fetch_listed(db, query, {std::to_string(tenant_id)}, window, row);
}

stores::Written<Product> update(postgres::Connection &db, long long tenant_id, long long id,
                                const std::optional<std::string> &name, const std::optional<std::string> &sku,
                                bool clear_sku)
{
    return stores::Written<Product>::of(postgres::unless_duplicate([&]() -> std::optional<Product> {
        auto result = db.exec(std::string("UPDATE products SET name = coalesce($3, name),"
                                          " sku = CASE WHEN $5::boolean THEN NULL ELSE coalesce($4, sku) END"
                                          " WHERE tenant_id = $1 AND id = $2 RETURNING ") + kColumns,
                              {std::to_string(tenant_id), std::to_string(id), name, sku, clear_sku ? "true" : "false"});
        if (result.rows() == 0) return std::nullopt;
        return row(result, 0);
    }));
}

bool remove(postgres::Connection &db, cache::ModuleCache &mirror, long long tenant_id, long long id)
{
    if (db.exec("DELETE FROM products WHERE tenant_id = $1 AND id = $2",
                {std::to_string(tenant_id), std::to_string(id)}).affected_rows() != 1)
    {
        return false;
    }
    cache::mirror_or_warn("product " + std::to_string(id), [&] { mirror.forget_product(tenant_id, id); });
    return true;
}

json_t *to_json(const Product &product)
{
    json_t *object = json_object();
    json_object_set_new(object, "id", json_integer(product.id));
    json_object_set_new(object, "tenant_id", json_integer(product.tenant_id));
    json_object_set_new(object, "name", json::string(product.name));
    json_object_set_new(object, "sku", product.sku ? json::string(*product.sku) : json_null());
    json_object_set_new(object, "createdAt", json::string(product.created_at));
    return object;
}

}  // namespace analytics::products
