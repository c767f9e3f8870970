// Webshop orders in PostgreSQL, registered for mark-purchase-tracked.
#pragma once

#include "stores/list_query.h"

#include "postgres/connection.h"
#include "redis/module_cache.h"

#include <jansson.h>

#include <optional>
#include <string>

namespace analytics::orders {

struct Order {
    long long tenant_id = 0;
    std::string order_session;
    std::string payment_status;
    std::string purchase_json;   // compact, in the endpoint's key order
    std::optional<std::string> tracked_at;
    bool created = false;        // by the last upsert
};

// inserts or replaces status and purchase, mirrored to the hash
// mark-purchase-tracked reads; a tracked mark is never undone
Order upsert(postgres::Connection &db, cache::ModuleCache &mirror, long long tenant_id,
             const std::string &order_session, const std::string &payment_status, const std::string &purchase_json);
std::optional<Order> find(postgres::Connection &db, long long tenant_id, const std::string &order_session);
// newest first
stores::Listed<Order> list(postgres::Connection &db, long long tenant_id, stores::Window window);

// the purchase as the endpoint answers it, from a request body's "purchase";
// nullopt with problem set when it is not one
std::optional<std::string> purchase_json(json_t *purchase, std::string &problem);

json_t *to_json(const Order &order);

}  // namespace analytics::orders
