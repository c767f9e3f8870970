// The Redis caches the module reads on every request, mirrored from
// PostgreSQL. Tenants: the hash
// {analytics}:tenants, fields "id:<n>", "uuid:<uuid>" and "slug:<slug>"
// (prefixed, so a slug of digits never meets an id), value
// "<id>:<active 0|1>:<public 0|1>", and "origins:<id>" -> the tenant's
// origins, one a line, when it registered any (analytics_tenant_origins).
// Products: the set {analytics}:products
// of "<tenant id>:<product id>". Redis holds only what PostgreSQL can
// rebuild; rebuild() swaps in complete copies atomically. With sharded
// streams every shard has its own copy of tenants and products under its
// tag ({analytics-k}:tenants); orders, tokens and funnel steps live in the
// first shard only, where the module reads them.
#pragma once

#include "postgres/connection.h"
#include "redis/connection.h"

#include "redis_keys.h"

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace analytics::tenants {
struct Tenant;
}

namespace analytics::cache {

// what each key holds: event_contract/redis_keys.h
inline constexpr const char *kTenantsKey = ANALYTICS_KEY_TENANTS;
inline constexpr const char *kProductsKey = ANALYTICS_KEY_PRODUCTS;
inline constexpr const char *kOrdersKey = ANALYTICS_KEY_ORDERS;
inline constexpr const char *kOrdersTrackedKey = ANALYTICS_KEY_ORDERS_TRACKED;
inline constexpr const char *kTokensKey = ANALYTICS_KEY_TOKENS;
inline constexpr const char *kFunnelStepsKey = ANALYTICS_KEY_FUNNEL_STEPS;
inline constexpr const char *kVisitorSaltsKey = ANALYTICS_KEY_VISITOR_SALTS;

// runs a write to the mirror; a failure is logged, not answered: the change
// is in PostgreSQL and the periodic rebuild repairs the mirror
void mirror_or_warn(const std::string &what, const std::function<void()> &write);

class ModuleCache {
public:
    ModuleCache(redis::Address address, int shards);
    ModuleCache(const ModuleCache &) = delete;
    ModuleCache &operator=(const ModuleCache &) = delete;

    // after a create or update; previous_slug is dropped when the slug changed
    void publish(const tenants::Tenant &tenant, const std::optional<std::string> &previous_slug);
    void publish_product(long long tenant_id, long long product_id);
    void forget_product(long long tenant_id, long long product_id);
    void publish_order(long long tenant_id, const std::string &order_session, const std::string &payment_status,
                       const std::string &purchase_json);
    // a tenant token as PostgreSQL has it now: published while live, dropped
    // once revoked (or missing)
    void publish_token(postgres::Connection &db, long long token_id);
    void publish_funnel_steps(postgres::Connection &db, long long tenant_id);
    // every tenant, product, order, live token and funnel step list from
    // PostgreSQL; returns how many tenants
    size_t rebuild(postgres::Connection &db);
    // With several shards, a visitor must get one key whichever shard its
    // request meets: every shard gets the first shard's salt for today and
    // tomorrow, ahead of the day, and older days' salts are dropped. With
    // one shard the module keeps the salts alone and this does nothing.
    void share_visitor_salts();

private:
    redis::Connection &connection(int shard);
    static void add_in_chunks(redis::Connection &redis, const std::string &key, const std::string &command,
                              const std::vector<std::string> &items, size_t per_item);
    static void swap_in(redis::Connection &redis, const std::string &key, const std::string &command,
                        const std::vector<std::string> &items, size_t per_item);
    // fn(redis) on the first shard's connection
    template <typename Fn> auto with_connection(Fn fn);
    // fn(redis, shard) on each shard's connection in turn
    template <typename Fn> void with_every_shard(Fn fn);

    redis::Address address_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<redis::Connection>> connections_;   // per shard
};

}  // namespace analytics::cache
