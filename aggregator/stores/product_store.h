// Products in PostgreSQL, always read and written within one tenant.
#pragma once

#include "stores/list_query.h"

#include "postgres/connection.h"
#include "redis/module_cache.h"
#include "stores/written.h"

#include <jansson.h>

#include <optional>
#include <string>
#include <vector>

namespace analytics::products {

struct Product {
    long long id = 0;
    long long tenant_id = 0;
    std::string name;
    std::optional<std::string> sku;
    std::string created_at;
};

// mirrored to the set the track endpoint checks; nullopt when the sku is taken
std::optional<Product> create(postgres::Connection &db, cache::ModuleCache &mirror, long long tenant_id,
                              const std::string &name, const std::optional<std::string> &sku);
std::optional<Product> find(postgres::Connection &db, long long tenant_id, long long id);
stores::Listed<Product> list(postgres::Connection &db, long long tenant_id, stores::Window window);
// false when there is no such product; the mirror forgets it
bool remove(postgres::Connection &db, cache::ModuleCache &mirror, long long tenant_id, long long id);
// changes what is given (nullopt keeps it; sku may be set to NULL by clear_sku)
stores::Written<Product> update(postgres::Connection &db, long long tenant_id, long long id,
                                const std::optional<std::string> &name, const std::optional<std::string> &sku,
                                bool clear_sku);

json_t *to_json(const Product &product);

}  // namespace analytics::products
