// Mirrors tenants into the Redis hash the module reads on every request:
// {analytics}:tenants, fields "id:<n>", "uuid:<uuid>" and "slug:<slug>"
// (prefixed, so a slug of digits never meets an id), value
// "<id>:<active 0|1>:<public 0|1>". Redis holds only what PostgreSQL can
// rebuild; rebuild() swaps in a complete copy atomically.
#pragma once

#include "postgres/connection.h"
#include "redis/connection.h"
#include "tenants/tenant_store.h"

#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace analytics::cache {

inline constexpr const char *kTenantsKey = "{analytics}:tenants";

class TenantCache {
public:
    explicit TenantCache(redis::Address address) : address_(std::move(address)) {}
    TenantCache(const TenantCache &) = delete;
    TenantCache &operator=(const TenantCache &) = delete;

    // after a create or update; previous_slug is dropped when the slug changed
    void publish(const tenants::Tenant &tenant, const std::optional<std::string> &previous_slug);
    // every tenant from PostgreSQL; returns how many
    size_t rebuild(postgres::Connection &db);

private:
    redis::Connection &connection();
    template <typename Fn> auto with_connection(Fn fn);

    redis::Address address_;
    std::mutex mutex_;
    std::unique_ptr<redis::Connection> connection_;
};

}  // namespace analytics::cache
