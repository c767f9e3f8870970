// Tenants in PostgreSQL: the one entity the source documents call tenant,
// account, project or website.
#pragma once

#include "stores/list_query.h"

#include "postgres/connection.h"
#include "redis/module_cache.h"
#include "stores/written.h"

#include <jansson.h>

#include <optional>
#include <string>
#include <vector>

namespace analytics::tenants {

// a tenant's web origins, normalised (analytics_origin_normalise); nullopt:
// it registered none, and any origin is let in
using Origins = std::optional<std::vector<std::string>>;

struct Tenant {
    long long id = 0;
    std::string uuid;
    std::string slug;
    std::string name;
    bool active = true;
    bool is_public = true;
    std::string attribution_model = "last_non_direct";
    int attribution_lookback_days = 30;
    std::string time_zone = "UTC";   // an IANA name
    Origins origins;
    std::string created_at;
    std::string updated_at;
};

struct TenantChanges {
    std::optional<std::string> slug;
    std::optional<std::string> name;
    std::optional<bool> active;
    std::optional<bool> is_public;
    std::optional<std::string> attribution_model;     // checked: a name analytics_attribution_model_parse knows
    std::optional<int> attribution_lookback_days;     // checked: 1..365
    std::optional<std::string> time_zone;             // checked: is_known_time_zone
    std::optional<Origins> origins;                   // checked and normalised: parse_origins
};

constexpr size_t kMaxOrigins = 100;

// a JSON value as a tenant's origins: null, or an array of at most
// kMaxOrigins origin strings, normalised and without repeats in their
// order; the message says what is wrong otherwise
std::optional<Origins> parse_origins(json_t *value, std::string &message);

// changes.slug and changes.name are set; what else is absent takes the
// default. The tenant and its funnel steps are mirrored; nullopt when the
// slug is taken.
std::optional<Tenant> create(postgres::Connection &db, cache::ModuleCache &mirror, const TenantChanges &changes);
// by numeric id, uuid or slug
std::optional<Tenant> find(postgres::Connection &db, const std::string &reference);
stores::Listed<Tenant> list(postgres::Connection &db, stores::Window window);
// mirrored, dropping before's slug when it changed
stores::Written<Tenant> update(postgres::Connection &db, cache::ModuleCache &mirror, const Tenant &before,
                               const TenantChanges &changes);

json_t *to_json(const Tenant &tenant);

bool is_valid_slug(const std::string &slug);

// an IANA zone name PostgreSQL's tz database knows ("UTC", "Europe/Madrid");
// abbreviations and POSIX offsets ("EST", "+3") are not names
bool is_known_time_zone(postgres::Connection &db, const std::string &name);

}  // namespace analytics::tenants
