// The computed side of Webmarketer events that passed their event type: the
// user each belongs to (found by a trackerId or an identity field, else
// made), the computed_events row and the first value of each state and
// statistic in event_metrics. In the ingest transaction.
#pragma once

#include "ingest/project_events.h"
#include "postgres/connection.h"

#include <map>
#include <string>
#include <vector>

namespace analytics::ingest {

struct ComputedEvent {
    int64_t tenant_id = 0;
    std::string id;
    int64_t received_ms = 0;
    ProjectEventCheck check;   // valid
};

// returns each event's user, in the order given ("" for none)
std::vector<std::string> write_computed_events(postgres::Connection &db, const std::vector<ComputedEvent> &events);

// a change of project_metrics_hourly: value added to (tenant, the UTC hour of
// event_ms, event type, metric)
struct ProjectMetricDelta {
    int64_t tenant_id = 0;
    int64_t event_ms = 0;
    std::string event_type;
    std::string metric;
    double value = 0;
};

// in the caller's transaction; deltas of one key are summed first
void add_project_metrics(postgres::Connection &db, const std::vector<ProjectMetricDelta> &deltas);

// what a state's or statistic's current value adds to its hourly metric
double project_metric_contribution(const std::string &kind, double value);

// the user these identities (kind, hash) name, else a new one; every one
// of them names it afterwards. When they name several users, the oldest
// takes the others in (merge_users). known caches what this transaction
// found, by (tenant, "kind\nhash").
// merged users become into: their identities, computed events, metric
// history, offline touches and shares move to it, and they are deleted
void merge_users(postgres::Connection &db, int64_t tenant_id, const std::string &into,
                 const std::vector<std::string> &merged);

std::string find_or_make_user(postgres::Connection &db, int64_t tenant_id,
                              const std::vector<std::pair<std::string, std::string>> &hashed,
                              std::map<std::pair<int64_t, std::string>, std::string> &known);

// SHA-256 (hex) of "<tenant>\n<kind>\n<value>": how an identity is kept
std::string identity_hash(int64_t tenant_id, const std::string &kind, const std::string &value);

}  // namespace analytics::ingest
