// Webmarketer's computed events as stored: an event as parsed against its
// type, with its user, and the dated values of its states and statistics
// (event_metrics), the latest of each being its current value. A new value
// keeps the hourly insights rollup in step with the current one.
#pragma once

#include "stores/list_query.h"

#include "postgres/connection.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace analytics::computed_events {

struct Metric {
    std::string id;   // uuid
    std::string event_id;
    std::optional<std::string> user_id;
    std::string storage_key;
    std::string kind;   // "state" or "statistic"
    double value = 0;
    std::string metric_date, created_at, updated_at;
};

struct ComputedEvent {
    std::string id;   // uuid
    std::optional<std::string> user_id;
    std::string event_date;
    std::string event_type;
    std::string data_json;
    std::optional<std::string> expiration_json;
    std::string created_at, updated_at;
    std::optional<std::string> user_created_at, user_updated_at;
    std::vector<Metric> metrics;   // the current value of each storage key
};

// what a new metric value needs of its event
struct MetricTarget {
    std::optional<std::string> user_id;
    std::string fields_json;   // its type's fields
    std::string event_type;
    int64_t event_ms = 0;
    // its type's expirationPolicy {"days": N}: no value dated later than
    // event_ms + N days
    std::optional<int> expires_after_days;
};

struct MetricFilter {
    postgres::Param kind;          // "state" or "statistic"
    postgres::Param since, until;  // metric_date, RFC 3339
};

// the fields a metric history sorts by, as the API names them
bool is_metric_sort(const std::string &field);

std::optional<ComputedEvent> find(postgres::Connection &db, long long tenant_id, const std::string &id);
// a user's events, the latest first; since/until bound the event date
stores::Listed<ComputedEvent> user_events(postgres::Connection &db, long long tenant_id, const std::string &user_id,
                                          const postgres::Param &since, const postgres::Param &until,
                                          stores::Window window);
std::optional<MetricTarget> metric_target(postgres::Connection &db, long long tenant_id, const std::string &id);
// kept beside the earlier values, dated date (now when nullopt), in one
// transaction with the rollup's change
void record_metric(postgres::Connection &db, long long tenant_id, const std::string &event_id, const MetricTarget &target,
                   const std::string &storage_key, const std::string &kind, double value, const postgres::Param &date);

bool user_exists(postgres::Connection &db, long long tenant_id, const std::string &user_id);
// sort_field one is_metric_sort knows; order ASC or DESC
stores::Listed<Metric> user_metrics(postgres::Connection &db, long long tenant_id, const std::string &user_id,
                                    const MetricFilter &filter, const std::string &sort_field, const std::string &order,
                                    stores::Window window);

}  // namespace analytics::computed_events
