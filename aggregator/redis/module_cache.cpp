#include "redis/module_cache.h"
#include "log.h"
#include "stores/tenant_store.h"
#include "settings.h"
#include "stream_shard.h"

#include <algorithm>
#include <array>
#include <random>

namespace analytics::cache {

void mirror_or_warn(const std::string &what, const std::function<void()> &write)
{
    try {
        write();
    } catch (const std::exception &e) {
        log::warn(what + " not mirrored to Redis yet: " + e.what());
    }
}

namespace {

std::string entry_value(long long id, bool active, bool is_public)
{
    return std::to_string(id) + (active ? ":1" : ":0") + (is_public ? ":1" : ":0");
}

std::string origins_field(long long id)
{
    return ANALYTICS_TENANT_ORIGINS_FIELD + std::to_string(id);
}

std::string joined(const std::vector<std::string> &origins)
{
    std::string value;
    for (const auto &origin : origins) {
        if (!value.empty()) value += '\n';
        value += origin;
    }
    return value;
}

}  // namespace

ModuleCache::ModuleCache(redis::Address address, int shards) : address_(std::move(address))
{
    connections_.resize(static_cast<size_t>(std::max(shards, 1)));
}

redis::Connection &ModuleCache::connection(int shard)
{
    auto &connection = connections_[static_cast<size_t>(shard)];
    if (!connection || connection->broken()) {
        connection = std::make_unique<redis::Connection>(address_, std::chrono::seconds(2),
                                                         Settings::shard_key(ANALYTICS_SHARD_TAG, shard));
    }
    return *connection;
}

// A connection kept since the last write learns that Redis restarted only
// when it is used: the write fails once, on a socket Redis has closed.
// Every mirror write is idempotent (HSET, HDEL, SADD, a rename over the
// key), so it is made again on a fresh connection before it counts as
// failed; else a change made just after a restart would wait for the
// periodic rebuild.
template <typename Fn> auto ModuleCache::with_connection(Fn fn)
{
    std::lock_guard lock(mutex_);
    bool reused = connections_[0] && !connections_[0]->broken();
    try {
        return fn(connection(0));
    } catch (const redis::Error &) {
        connections_[0].reset();
        if (!reused) throw;
    }
    try {
        return fn(connection(0));
    } catch (const redis::Error &) {
        connections_[0].reset();
        throw;
    }
}

template <typename Fn> void ModuleCache::with_every_shard(Fn fn)
{
    std::lock_guard lock(mutex_);
    for (int shard = 0; shard < static_cast<int>(connections_.size()); shard++) {
        auto &kept = connections_[static_cast<size_t>(shard)];
        for (bool reused = kept && !kept->broken();; reused = false) {
            try {
                fn(connection(shard), shard);
                break;
            } catch (const redis::Error &) {
                kept.reset();
                if (!reused) throw;
            }
        }
    }
}

void ModuleCache::publish(const tenants::Tenant &tenant, const std::optional<std::string> &previous_slug)
{
    with_every_shard([&](redis::Connection &redis, int shard) {
        auto key = Settings::shard_key(kTenantsKey, shard);
        auto value = entry_value(tenant.id, tenant.active, tenant.is_public);
        if (previous_slug && *previous_slug != tenant.slug) {
            redis.checked({"HDEL", key, "slug:" + *previous_slug});
        }
        redis.checked({"HSET", key, "id:" + std::to_string(tenant.id), value, "uuid:" + tenant.uuid,
                       value, "slug:" + tenant.slug, value});
        if (tenant.origins) {
            redis.checked({"HSET", key, origins_field(tenant.id), joined(*tenant.origins)});
        } else {
            redis.checked({"HDEL", key, origins_field(tenant.id)});
        }
    });
}

void ModuleCache::publish_product(long long tenant_id, long long product_id)
{
    with_every_shard([&](redis::Connection &redis, int shard) {
        redis.checked({"SADD", Settings::shard_key(kProductsKey, shard),
                       std::to_string(tenant_id) + ":" + std::to_string(product_id)});
    });
}

void ModuleCache::forget_product(long long tenant_id, long long product_id)
{
    with_every_shard([&](redis::Connection &redis, int shard) {
        redis.checked({"SREM", Settings::shard_key(kProductsKey, shard),
                       std::to_string(tenant_id) + ":" + std::to_string(product_id)});
    });
}

void ModuleCache::publish_order(long long tenant_id, const std::string &order_session,
                                const std::string &payment_status, const std::string &purchase_json)
{
    with_connection([&](redis::Connection &redis) {
        redis.checked({"HSET", kOrdersKey, std::to_string(tenant_id) + ":" + order_session,
                       payment_status + "\n" + purchase_json});
    });
}

void ModuleCache::publish_token(postgres::Connection &db, long long token_id)
{
    auto token = db.exec("SELECT encode(token_hash, 'hex'), token_mirror_value(t),"
                         " tenant_id IS NOT NULL AND revoked_at IS NULL FROM api_tokens t WHERE id = $1",
                         {std::to_string(token_id)});
    if (token.rows() == 0) return;
    with_connection([&](redis::Connection &redis) {
        if (token.boolean(0, 2)) {
            redis.checked({"HSET", kTokensKey, std::string(token.text(0, 0)), std::string(token.text(0, 1))});
        } else {
            redis.checked({"HDEL", kTokensKey, std::string(token.text(0, 0))});
        }
    });
}

void ModuleCache::publish_funnel_steps(postgres::Connection &db, long long tenant_id)
{
    auto steps = db.exec("SELECT funnel_steps_of($1)", {std::to_string(tenant_id)});
    with_connection([&](redis::Connection &redis) {
        redis.checked({"HSET", kFunnelStepsKey, std::to_string(tenant_id), std::string(steps.text(0, 0))});
    });
}

size_t ModuleCache::rebuild(postgres::Connection &db)
{
    auto tenants = db.exec("SELECT id, uuid, slug, active, public, array_to_string(origins, E'\\n') FROM tenants");
    auto products = db.exec("SELECT tenant_id || ':' || id FROM products");
    auto orders = db.exec("SELECT tenant_id || ':' || order_session, payment_status || E'\\n' || purchase_json,"
                          " tracked_at IS NOT NULL FROM orders");
    // expired tokens stay until the next rebuild; the module checks expiry itself
    auto tokens = db.exec("SELECT encode(token_hash, 'hex'), token_mirror_value(t) FROM api_tokens t"
                          " WHERE tenant_id IS NOT NULL AND revoked_at IS NULL");
    auto steps = db.exec("SELECT id, funnel_steps_of(id) FROM tenants");
    std::vector<std::string> token_fields, step_fields;
    for (int i = 0; i < tokens.rows(); i++) {
        token_fields.emplace_back(tokens.text(i, 0));
        token_fields.emplace_back(tokens.text(i, 1));
    }
    for (int i = 0; i < steps.rows(); i++) {
        step_fields.emplace_back(steps.text(i, 0));
        step_fields.emplace_back(steps.text(i, 1));
    }

    std::vector<std::string> tenant_fields;
    for (int i = 0; i < tenants.rows(); i++) {
        auto value = entry_value(tenants.integer(i, 0), tenants.boolean(i, 3), tenants.boolean(i, 4));
        for (auto prefix : {"id:", "uuid:", "slug:"}) {
            int column = prefix[0] == 'i' ? 0 : prefix[0] == 'u' ? 1 : 2;
            tenant_fields.push_back(prefix + std::string(tenants.text(i, column)));
            tenant_fields.push_back(value);
        }
        if (!tenants.is_null(i, 5)) {
            tenant_fields.push_back(origins_field(tenants.integer(i, 0)));
            tenant_fields.emplace_back(tenants.text(i, 5));
        }
    }
    std::vector<std::string> product_members;
    for (int i = 0; i < products.rows(); i++) {
        product_members.emplace_back(products.text(i, 0));
    }

    std::vector<std::string> order_fields, tracked_fields;
    for (int i = 0; i < orders.rows(); i++) {
        order_fields.emplace_back(orders.text(i, 0));
        order_fields.emplace_back(orders.text(i, 1));
        if (orders.boolean(i, 2)) {
            tracked_fields.emplace_back(orders.text(i, 0));
            tracked_fields.emplace_back("1");
        }
    }

    with_every_shard([&](redis::Connection &redis, int shard) {
        swap_in(redis, Settings::shard_key(kTenantsKey, shard), "HSET", tenant_fields, 2);
        swap_in(redis, Settings::shard_key(kProductsKey, shard), "SADD", product_members, 1);
    });
    with_connection([&](redis::Connection &redis) {
        swap_in(redis, kOrdersKey, "HSET", order_fields, 2);
        swap_in(redis, kTokensKey, "HSET", token_fields, 2);
        swap_in(redis, kFunnelStepsKey, "HSET", step_fields, 2);
        // marks are only ever added: one the module made whose event is still
        // on its way to PostgreSQL must not be lost, or a second caller
        // would see already_tracked false
        add_in_chunks(redis, kOrdersTrackedKey, "HSET", tracked_fields, 2);
    });
    return static_cast<size_t>(tenants.rows());
}

void ModuleCache::share_visitor_salts()
{
    if (connections_.size() < 2) return;
    std::array<std::string, 2> salts;   // today's and tomorrow's, as the first shard keeps them
    long long today = 0;
    std::random_device random;
    with_every_shard([&](redis::Connection &redis, int shard) {
        auto key = Settings::shard_key(kVisitorSaltsKey, shard);
        if (shard == 0) {
            // the day as the module's functions count it: Redis' own clock
            auto time = redis.checked({"TIME"});
            today = std::stoll(std::string(time->element[0]->str, time->element[0]->len)) / 86400;
        }
        const std::array<std::string, 2> days = {std::to_string(today), std::to_string(today + 1)};
        auto kept = redis.checked({"HKEYS", key});
        for (size_t i = 0; i < kept->elements; i++) {
            std::string day(kept->element[i]->str, kept->element[i]->len);
            if (day != days[0] && day != days[1]) redis.checked({"HDEL", key, day});
        }
        for (size_t ahead = 0; ahead < days.size(); ahead++) {
            // the first shard keeps its salt or takes a new one; the others
            // take the first shard's unless they already made their own
            std::string wanted = salts[ahead];
            if (shard == 0) {
                char candidate[33];
                snprintf(candidate, sizeof(candidate), "%08x%08x%08x%08x", random(), random(), random(), random());
                wanted = candidate;
            }
            redis.checked({"HSETNX", key, days[ahead], wanted});
            auto salt = redis.checked({"HGET", key, days[ahead]});
            std::string has(salt->str, salt->len);
            if (shard == 0) {
                salts[ahead] = has;
            } else if (has != wanted) {
                // its visitors get other keys that day than the first shard's
                log::warn("visitor salts: shard " + std::to_string(shard) + " has its own salt for day " + days[ahead]);
            }
        }
    });
}

// builds key's new content aside under the same hash tag, then renames it
// over key: readers never see a half-built copy
void ModuleCache::swap_in(redis::Connection &redis, const std::string &key, const std::string &command,
                          const std::vector<std::string> &items, size_t per_item)
{
    std::string staging = key + ":rebuild";
    redis.checked({"DEL", staging});
    add_in_chunks(redis, staging, command, items, per_item);
    if (items.empty()) {
        redis.checked({"DEL", key});
    } else {
        redis.checked({"RENAME", staging, key});
    }
}

// command key item... in commands of at most 500 items (per_item arguments each)
void ModuleCache::add_in_chunks(redis::Connection &redis, const std::string &key, const std::string &command,
                                const std::vector<std::string> &items, size_t per_item)
{
    constexpr size_t kItemsPerCommand = 500;
    for (size_t start = 0; start < items.size(); start += kItemsPerCommand * per_item) {
        std::vector<std::string> args = {command, key};
        size_t end = std::min(items.size(), start + kItemsPerCommand * per_item);
        args.insert(args.end(), items.begin() + static_cast<long>(start), items.begin() + static_cast<long>(end));
        redis.checked(args);
    }
}

}  // namespace analytics::cache
