#include "stores/order_store.h"
#include "json.h"
#include "stores/list_query.h"

namespace analytics::orders {
namespace {

constexpr const char *kColumns = "tenant_id, order_session, payment_status, purchase_json, rfc3339(tracked_at)";

Order row(const postgres::Result &result, int i)
{
    return Order{result.integer(i, 0), std::string(result.text(i, 1)), std::string(result.text(i, 2)),
                 std::string(result.text(i, 3)), result.optional_text(i, 4), false};
}

}  // namespace

Order upsert(postgres::Connection &db, cache::ModuleCache &mirror, long long tenant_id,
             const std::string &order_session, const std::string &payment_status, const std::string &purchase_json)
{
    auto result = db.exec(std::string("INSERT INTO orders (tenant_id, order_session, payment_status, purchase_json)"
                                      " VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, order_session) DO UPDATE SET"
                                      " payment_status = excluded.payment_status, purchase_json = excluded.purchase_json,"
                                      " updated_at = now() RETURNING ")
                              + kColumns + ", xmax = 0",
                          {std::to_string(tenant_id), order_session, payment_status, purchase_json});
    auto order = row(result, 0);
    order.created = result.boolean(0, 5);
    cache::mirror_or_warn("order " + order_session, [&] {
        mirror.publish_order(tenant_id, order_session, order.payment_status, order.purchase_json);
    });
    return order;
}

std::optional<Order> find(postgres::Connection &db, long long tenant_id, const std::string &order_session)
{
    auto result = db.exec(std::string("SELECT ") + kColumns + " FROM orders WHERE tenant_id = $1 AND order_session = $2",
                          {std::to_string(tenant_id), order_session});
    if (result.rows() == 0) return std::nullopt;
    return row(result, 0);
}

stores::Listed<Order> list(postgres::Connection &db, long long tenant_id, stores::Window window)
{
    stores::ListQuery query{kColumns, " FROM orders WHERE tenant_id = $1", "created_at DESC, order_session"};
    return stores::fetch_listed(db, query, {std::to_string(tenant_id)}, window, row);
}

std::optional<std::string> purchase_json(json_t *purchase, std::string &problem)
{
    if (!json_is_object(purchase)) {
        problem = "purchase must be an object";
        return std::nullopt;
    }
    auto out = json::take(json_object());
    json_t *transaction = json_object_get(purchase, "transaction_id");
    if (!json_is_string(transaction) || json_string_length(transaction) == 0 || json_string_length(transaction) > 128) {
        problem = "purchase.transaction_id must be a string of 1 to 128 characters";
        return std::nullopt;
    }
    json_object_set(out.get(), "transaction_id", transaction);
    for (const char *amount : {"value", "tax", "shipping"}) {
        json_t *number = json_object_get(purchase, amount);
        if (number == nullptr || json_is_null(number)) {
            json_object_set_new(out.get(), amount, json_integer(0));
        } else if (json_is_number(number) && json_number_value(number) >= 0) {
            json_object_set(out.get(), amount, number);
        } else {
            problem = std::string("purchase.") + amount + " must be a number of at least 0";
            return std::nullopt;
        }
    }
    json_t *currency = json_object_get(purchase, "currency");
    json_object_set(out.get(), "currency", currency ? currency : json_null());   // "mixed" in the document
    json_t *items = json_object_get(purchase, "items");
    if (items == nullptr || json_is_null(items)) {
        json_object_set_new(out.get(), "items", json_array());
    } else if (json_is_array(items)) {
        size_t i;
        json_t *item;
        json_array_foreach(items, i, item) {
            if (!json_is_object(item)) {
                problem = "purchase.items must be an array of objects";
                return std::nullopt;
            }
        }
        json_object_set(out.get(), "items", items);
    } else {
        problem = "purchase.items must be an array of objects";
        return std::nullopt;
    }
    return json::dump(out.get());
}

json_t *to_json(const Order &order)
{
    json_t *object = json_object();
    json_object_set_new(object, "tenant_id", json_integer(order.tenant_id));
    json_object_set_new(object, "order_session", json::string(order.order_session));
    json_object_set_new(object, "payment_status", json::string(order.payment_status));
    auto purchase = json::parse(order.purchase_json);
    json_object_set_new(object, "purchase", purchase ? purchase->release() : json_null());
    json_object_set_new(object, "tracked_at", order.tracked_at ? json::string(*order.tracked_at) : json_null());
    return object;
}

}  // namespace analytics::orders
