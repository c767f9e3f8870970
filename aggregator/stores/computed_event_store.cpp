#include "stores/computed_event_store.h"
#include "ingest/computed_events.h"
#include "stores/list_query.h"

#include <cstdio>
#include <map>

namespace analytics::computed_events {
namespace {

constexpr const char *kMetricColumns =
    "m.id::text, m.event_id::text, m.user_id::text, m.storage_key, m.kind, m.value::text, rfc3339(m.metric_date),"
    " rfc3339(m.created_at), rfc3339(m.updated_at)";

// the sort fields of a user's metrics and their columns
const std::map<std::string, std::string> kMetricSorts = {
    {"createdAt", "m.created_at"}, {"updatedAt", "m.updated_at"}, {"metricDate", "m.metric_date"}};

Metric metric_row(const postgres::Result &rows, int i)
{
    return Metric{std::string(rows.text(i, 0)), std::string(rows.text(i, 1)), rows.optional_text(i, 2),
                  std::string(rows.text(i, 3)), std::string(rows.text(i, 4)), std::stod(std::string(rows.text(i, 5))),
                  std::string(rows.text(i, 6)), std::string(rows.text(i, 7)), std::string(rows.text(i, 8))};
}

// the current value (the latest by date) of one storage key of an event
std::optional<double> current_value(postgres::Connection &db, long long tenant_id, const std::string &event_id,
                                    const std::string &storage_key)
{
    auto rows = db.exec("SELECT value FROM event_metrics WHERE tenant_id = $1 AND event_id = $2 AND storage_key = $3"
                        " ORDER BY metric_date DESC, id DESC LIMIT 1",
                        {std::to_string(tenant_id), event_id, storage_key});
    if (rows.rows() == 0) return std::nullopt;
    return std::stod(std::string(rows.text(0, 0)));
}

constexpr const char *kEventColumns =
    "e.id::text, e.user_id::text, rfc3339(e.event_date), e.event_type, e.data::text, t.expiration_policy::text,"
    " rfc3339(e.created_at), rfc3339(e.updated_at), rfc3339(u.created_at), rfc3339(u.updated_at)";
constexpr const char *kEventFrom =
    " FROM computed_events e JOIN event_types t ON t.tenant_id = e.tenant_id AND t.id = e.event_type_id"
    " LEFT JOIN project_users u ON u.tenant_id = e.tenant_id AND u.id = e.user_id";

ComputedEvent event_row(const postgres::Result &rows, int i)
{
    return ComputedEvent{std::string(rows.text(i, 0)), rows.optional_text(i, 1), std::string(rows.text(i, 2)),
                         std::string(rows.text(i, 3)), std::string(rows.text(i, 4)), rows.optional_text(i, 5),
                         std::string(rows.text(i, 6)), std::string(rows.text(i, 7)), rows.optional_text(i, 8),
                         rows.optional_text(i, 9), {}};
}

// each event's current metrics (the latest value of each storage key), in
// one statement for all of them
void attach_metrics(postgres::Connection &db, long long tenant_id, std::vector<ComputedEvent> &events)
{
    if (events.empty()) return;
    std::string ids = "{";
    std::map<std::string, ComputedEvent *> by_id;
    for (auto &event : events) {
        ids += (ids.size() > 1 ? "," : "") + event.id;
        by_id[event.id] = &event;
    }
    auto metrics = db.exec(std::string("SELECT DISTINCT ON (m.event_id, m.storage_key) ") + kMetricColumns
                               + " FROM event_metrics m WHERE m.tenant_id = $1 AND m.event_id = ANY($2::uuid[])"
                                 " ORDER BY m.event_id, m.storage_key, m.metric_date DESC, m.id DESC",
                           {std::to_string(tenant_id), ids + "}"});
    for (int i = 0; i < metrics.rows(); i++) {
        Metric metric = metric_row(metrics, i);
        by_id.at(metric.event_id)->metrics.push_back(std::move(metric));
    }
}

}  // namespace

bool is_metric_sort(const std::string &field)
{
    return kMetricSorts.count(field) == 1;
}

std::optional<ComputedEvent> find(postgres::Connection &db, long long tenant_id, const std::string &id)
{
    auto rows = db.exec(std::string("SELECT ") + kEventColumns + kEventFrom + " WHERE e.tenant_id = $1 AND e.id = $2",
                        {std::to_string(tenant_id), id});
    if (rows.rows() == 0) return std::nullopt;
    std::vector<ComputedEvent> found{event_row(rows, 0)};
    attach_metrics(db, tenant_id, found);
    return std::move(found.front());
}

stores::Listed<ComputedEvent> user_events(postgres::Connection &db, long long tenant_id, const std::string &user_id,
                                          const postgres::Param &since, const postgres::Param &until,
                                          stores::Window window)
{
    stores::ListQuery query{kEventColumns,
                            std::string(kEventFrom) + " WHERE e.tenant_id = $1 AND e.user_id = $2"
                                " AND ($3::timestamptz IS NULL OR e.event_date >= $3)"
                                " AND ($4::timestamptz IS NULL OR e.event_date <= $4)",
                            "e.event_date DESC, e.id DESC"};
    auto listed = stores::fetch_listed(db, query, {std::to_string(tenant_id), user_id, since, until}, window, event_row);
    attach_metrics(db, tenant_id, listed.rows);
    return listed;
}

std::optional<MetricTarget> metric_target(postgres::Connection &db, long long tenant_id, const std::string &id)
{
    auto rows = db.exec("SELECT e.user_id::text, t.fields::text, e.event_type,"
                        " (extract(epoch FROM e.event_date) * 1000)::bigint,"
                        " CASE WHEN jsonb_typeof(t.expiration_policy->'days') = 'number'"
                        " THEN (t.expiration_policy->>'days')::numeric::int END"
                        " FROM computed_events e JOIN event_types t"
                        " ON t.tenant_id = e.tenant_id AND t.id = e.event_type_id WHERE e.tenant_id = $1 AND e.id = $2",
                        {std::to_string(tenant_id), id});
    if (rows.rows() == 0) return std::nullopt;
    std::optional<int> expires_after_days;
    if (!rows.is_null(0, 4)) expires_after_days = static_cast<int>(rows.integer(0, 4));
    return MetricTarget{rows.optional_text(0, 0), std::string(rows.text(0, 1)), std::string(rows.text(0, 2)),
                        rows.integer(0, 3), expires_after_days};
}

void record_metric(postgres::Connection &db, long long tenant_id, const std::string &event_id, const MetricTarget &target,
                   const std::string &storage_key, const std::string &kind, double value, const postgres::Param &date)
{
    char value_text[32];
    snprintf(value_text, sizeof(value_text), "%.17g", value);
    postgres::Transaction tx(db);
    // the rollup follows the current value, which a value dated before it does not change
    auto before = current_value(db, tenant_id, event_id, storage_key);
    db.exec("INSERT INTO event_metrics (tenant_id, event_id, user_id, storage_key, kind, value, metric_date)"
            " VALUES ($1, $2, $3, $4, $5, $6::double precision, coalesce($7::timestamptz, now()))",
            {std::to_string(tenant_id), event_id, target.user_id, storage_key, kind, std::string(value_text), date});
    auto after = current_value(db, tenant_id, event_id, storage_key);
    double delta = ingest::project_metric_contribution(kind, after.value_or(0))
                   - (before ? ingest::project_metric_contribution(kind, *before) : 0);
    ingest::add_project_metrics(db, {{tenant_id, target.event_ms, target.event_type, storage_key, delta}});
    db.exec("UPDATE computed_events SET updated_at = now() WHERE tenant_id = $1 AND id = $2",
            {std::to_string(tenant_id), event_id});
    tx.commit();
}

bool user_exists(postgres::Connection &db, long long tenant_id, const std::string &user_id)
{
    return db.exec("SELECT 1 FROM project_users WHERE tenant_id = $1 AND id = $2",
                   {std::to_string(tenant_id), user_id}).rows() == 1;
}

stores::Listed<Metric> user_metrics(postgres::Connection &db, long long tenant_id, const std::string &user_id,
                                    const MetricFilter &filter, const std::string &sort_field, const std::string &order,
                                    stores::Window window)
{
    std::string direction = order == "DESC" ? "DESC" : "ASC";
    stores::ListQuery query{kMetricColumns,
                            " FROM event_metrics m WHERE m.tenant_id = $1 AND m.user_id = $2"
                            " AND ($3::text IS NULL OR m.kind = $3)"
                            " AND ($4::timestamptz IS NULL OR m.metric_date >= $4)"
                            " AND ($5::timestamptz IS NULL OR m.metric_date <= $5)",
                            kMetricSorts.at(sort_field) + " " + direction + ", m.id " + direction};
    return stores::fetch_listed(
        db, query, {std::to_string(tenant_id), user_id, filter.kind, filter.since, filter.until}, window, metric_row);
}

}  // namespace analytics::computed_events
