// A tenant's funnel stages: the columns of the funnel report, each counting
// the (attributed) events of some types.
#pragma once

#include "postgres/connection.h"

#include <jansson.h>

#include <string>
#include <vector>

namespace analytics::funnels {

struct FunnelStage {
    std::string name;
    std::vector<std::string> event_types;
};

constexpr size_t kMaxStages = 20;
constexpr size_t kMaxEventTypes = 50;

// the funnel report document's own columns: conversions, microconversions,
// add-to-cart, checkout
std::vector<FunnelStage> default_stages();

// the tenant's stages in order, or the defaults (configured false) when it set none
std::vector<FunnelStage> stages_of(postgres::Connection &db, long long tenant_id, bool &configured);

// replaces every stage of the tenant, in one transaction; empty: back to the defaults
void replace_stages(postgres::Connection &db, long long tenant_id, const std::vector<FunnelStage> &stages);

bool is_valid_stage_name(const std::string &name);
bool is_valid_event_type(const std::string &type);

json_t *to_json(const std::vector<FunnelStage> &stages, bool configured);

}  // namespace analytics::funnels
