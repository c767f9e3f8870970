// A tenant's funnel step names, which funnel/track accepts: its own list, or
// the defaults (default_funnel_steps() in SQL) while it has none. Every
// change is mirrored to the hash the module checks steps against.
#pragma once

#include "postgres/connection.h"
#include "redis/module_cache.h"

#include <string>
#include <vector>

namespace analytics::funnel_steps {

constexpr size_t kMaxSteps = 100;

struct FunnelSteps {
    bool configured = false;   // false: the defaults
    std::vector<std::string> names;
};

FunnelSteps steps_of(postgres::Connection &db, long long tenant_id);
// in one transaction; empty: back to the defaults
void replace_steps(postgres::Connection &db, cache::ModuleCache &mirror, long long tenant_id,
                   const std::vector<std::string> &names);

}  // namespace analytics::funnel_steps
