#include "cache/tenant_cache.h"

namespace analytics::cache {
namespace {

std::string entry_value(long long id, bool active, bool is_public)
{
    return std::to_string(id) + (active ? ":1" : ":0") + (is_public ? ":1" : ":0");
}

}  // namespace

redis::Connection &TenantCache::connection()
{
    if (!connection_ || connection_->broken()) {
        connection_ = std::make_unique<redis::Connection>(address_, std::chrono::seconds(2));
    }
    return *connection_;
}

template <typename Fn> auto TenantCache::with_connection(Fn fn)
{
    std::lock_guard lock(mutex_);
    try {
        return fn(connection());
    } catch (const redis::Error &) {
        connection_.reset();
        throw;
    }
}

void TenantCache::publish(const tenants::Tenant &tenant, const std::optional<std::string> &previous_slug)
{
    with_connection([&](redis::Connection &redis) {
        auto value = entry_value(tenant.id, tenant.active, tenant.is_public);
        if (previous_slug && *previous_slug != tenant.slug) {
            redis.checked({"HDEL", kTenantsKey, "slug:" + *previous_slug});
        }
        redis.checked({"HSET", kTenantsKey, "id:" + std::to_string(tenant.id), value, "uuid:" + tenant.uuid,
                       value, "slug:" + tenant.slug, value});
    });
}

size_t TenantCache::rebuild(postgres::Connection &db)
{
    auto result = db.exec("SELECT id, uuid, slug, active, public FROM tenants");
    return with_connection([&](redis::Connection &redis) {
        // built aside under the same hash tag, then swapped in: readers never
        // see a half-built hash
        std::string staging = std::string(kTenantsKey) + ":rebuild";
        redis.checked({"DEL", staging});
        constexpr int kPerCommand = 500;
        for (int start = 0; start < result.rows(); start += kPerCommand) {
            std::vector<std::string> args = {"HSET", staging};
            for (int i = start; i < std::min(result.rows(), start + kPerCommand); i++) {
                auto value = entry_value(result.integer(i, 0), result.boolean(i, 3), result.boolean(i, 4));
                args.push_back("id:" + std::string(result.text(i, 0)));
                args.push_back(value);
                args.push_back("uuid:" + std::string(result.text(i, 1)));
                args.push_back(value);
                args.push_back("slug:" + std::string(result.text(i, 2)));
                args.push_back(value);
            }
            redis.checked(args);
        }
        if (result.rows() > 0) {
            redis.checked({"RENAME", staging, kTenantsKey});
        } else {
            redis.checked({"DEL", kTenantsKey});
        }
        return static_cast<size_t>(result.rows());
    });
}

}  // namespace analytics::cache
