#include "ingest/computed_events.h"
#include "ingest/attribution_step.h"
#include "ingest/rollups.h"
#include "auth/digest.h"

#include "event_time.h"


#include <algorithm>
#include <map>
#include <tuple>

namespace analytics::ingest {
namespace {

std::string timestamp(int64_t unix_ms)
{
    char text[ANALYTICS_RFC3339_MS_LEN + 1];
    analytics_time_format_rfc3339_ms(unix_ms, text);
    return text;
}

}  // namespace

void merge_users(postgres::Connection &db, int64_t tenant_id, const std::string &into,
                 const std::vector<std::string> &merged)
{
    const std::vector<postgres::Param> params = {std::to_string(tenant_id), into, postgres::text_array_literal(merged)};
    for (const char *table : {"user_identities", "computed_events", "event_metrics", "interactions", "attributions"}) {
        db.exec(std::string("UPDATE ") + table + " SET user_id = $2::uuid"
                " WHERE tenant_id = $1 AND user_id = ANY($3::uuid[])", params);
    }
    db.exec("DELETE FROM project_users WHERE tenant_id = $1 AND id = ANY($2::uuid[])", {params[0], params[2]});

    // the merged users' offline touches are in the path of every event of
    // the user now: what was split without them is split again
    take_attribution_lock(db, std::set<int64_t>{tenant_id});
    RollupAccumulator rollups;
    reattribute_user_events(db, tenant_id, into, rollups);
    rollups.write(db);
}

std::string find_or_make_user(postgres::Connection &db, int64_t tenant_id,
                         const std::vector<std::pair<std::string, std::string>> &hashed,
                         std::map<std::pair<int64_t, std::string>, std::string> &known)
{
    // known already when this transaction met every one of them, as one user
    const std::string *cached = nullptr;
    for (const auto &[kind, hash] : hashed) {
        auto found = known.find({tenant_id, kind + "\n" + hash});
        if (found == known.end() || (cached && *cached != found->second)) {
            cached = nullptr;
            break;
        }
        cached = &found->second;
    }
    if (cached) return *cached;
    std::vector<std::string> kinds, hashes;
    for (const auto &[kind, hash] : hashed) {
        kinds.push_back(kind);
        hashes.push_back(hash);
    }
    const std::string tenant = std::to_string(tenant_id);
    // two consumers meeting the same new identity must make one user: the
    // identities are locked in a fixed order until the commit
    std::vector<std::string> locks;
    for (const auto &[kind, hash] : hashed) locks.push_back(tenant + "\n" + kind + "\n" + hash);
    std::sort(locks.begin(), locks.end());
    for (const auto &lock : locks) db.exec("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", {lock});

    auto rows = db.exec("SELECT DISTINCT u.id::text, u.created_at FROM user_identities i JOIN project_users u"
                        " ON u.tenant_id = i.tenant_id AND u.id = i.user_id"
                        " JOIN unnest($2::text[], $3::text[]) AS w (kind, value_hash)"
                        " ON w.kind = i.kind AND w.value_hash = i.value_hash WHERE i.tenant_id = $1"
                        " ORDER BY u.created_at, u.id::text",
                        {tenant, postgres::text_array_literal(kinds), postgres::text_array_literal(hashes)});
    std::string user = rows.rows() > 0
        ? std::string(rows.text(0, 0))
        : std::string(db.exec("INSERT INTO project_users (tenant_id) VALUES ($1) RETURNING id::text", {tenant}).text(0, 0));
    // identities of several users met in one event: they were one person
    // all along, and the oldest user takes the others in
    std::vector<std::string> merged;
    for (int row = 1; row < rows.rows(); row++) merged.emplace_back(rows.text(row, 0));
    if (!merged.empty()) {
        merge_users(db, tenant_id, user, merged);
        for (auto &[identity, known_user] : known) {
            if (std::find(merged.begin(), merged.end(), known_user) != merged.end()) known_user = user;
        }
    }
    db.exec("INSERT INTO user_identities (tenant_id, kind, value_hash, user_id)"
            " SELECT $1, kind, value_hash, $4 FROM unnest($2::text[], $3::text[]) AS w (kind, value_hash)"
            " ON CONFLICT DO NOTHING",
            {tenant, postgres::text_array_literal(kinds), postgres::text_array_literal(hashes), user});
    db.exec("UPDATE project_users SET updated_at = now() WHERE tenant_id = $1 AND id = $2", {tenant, user});
    for (const auto &[kind, hash] : hashed) known[{tenant_id, kind + "\n" + hash}] = user;
    return user;
}

std::string identity_hash(int64_t tenant_id, const std::string &kind, const std::string &value)
{
    return auth::hex_digest(EVP_sha256(), std::to_string(tenant_id) + "\n" + kind + "\n" + value);
}

double project_metric_contribution(const std::string &kind, double value)
{
    return kind == "state" ? (value == 1 ? 1 : 0) : value;
}

void add_project_metrics(postgres::Connection &db, const std::vector<ProjectMetricDelta> &deltas)
{
    constexpr int64_t kHourMs = 3600 * 1000;
    std::map<std::tuple<int64_t, int64_t, std::string, std::string>, double> sums;
    for (const auto &delta : deltas) {
        int64_t hour = delta.event_ms - ((delta.event_ms % kHourMs) + kHourMs) % kHourMs;
        sums[{delta.tenant_id, hour, delta.event_type, delta.metric}] += delta.value;
    }
    std::vector<std::string> tenants, hours, types, metrics, values;
    for (const auto &[key, value] : sums) {
        if (value == 0) continue;
        tenants.push_back(std::to_string(std::get<0>(key)));
        hours.push_back(timestamp(std::get<1>(key)));
        types.push_back(std::get<2>(key));
        metrics.push_back(std::get<3>(key));
        char text[32];
        snprintf(text, sizeof(text), "%.17g", value);
        values.emplace_back(text);
    }
    if (tenants.empty()) return;
    std::vector<postgres::Param> params = {postgres::text_array_literal(tenants), postgres::text_array_literal(hours),
                                           postgres::text_array_literal(types), postgres::text_array_literal(metrics),
                                           postgres::text_array_literal(values)};
    db.exec("INSERT INTO project_metrics_hourly AS h (tenant_id, hour, event_type, metric, value)"
            " SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::double precision[])"
            " ON CONFLICT (tenant_id, hour, event_type, metric) DO UPDATE SET value = h.value + excluded.value",
            params);
    db.exec("INSERT INTO project_metrics_daily AS d (tenant_id, day, event_type, metric, value)"
            " SELECT t, (h AT TIME ZONE 'UTC')::date, e, m, sum(v)"
            " FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::double precision[]) AS u (t, h, e, m, v)"
            " GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
            " ON CONFLICT (tenant_id, day, event_type, metric) DO UPDATE SET value = d.value + excluded.value",
            params);
}

std::vector<std::string> write_computed_events(postgres::Connection &db, const std::vector<ComputedEvent> &events)
{
    std::vector<std::string> users;
    if (events.empty()) return users;
    std::vector<ProjectMetricDelta> deltas;
    std::map<std::pair<int64_t, std::string>, std::string> known;   // (tenant, kind\nhash) -> user
    std::string event_rows, metric_rows;
    for (const auto &event : events) {
        const ProjectEventCheck &check = event.check;
        std::vector<std::pair<std::string, std::string>> hashed;
        for (const auto &[kind, value] : check.identities) {
            if (!value.empty()) hashed.emplace_back(kind, identity_hash(event.tenant_id, kind, value));
        }
        std::string user = hashed.empty() ? std::string() : find_or_make_user(db, event.tenant_id, hashed, known);
        users.push_back(user);
        std::string received = timestamp(event.received_ms);
        int64_t event_ms = check.event_date_ms.value_or(event.received_ms);
        std::string event_date = timestamp(event_ms);
        deltas.push_back({event.tenant_id, event_ms, check.event_type, "event-count", 1});
        postgres::CopyRow(event_rows)
            .number(event.tenant_id)
            .text(event.id)
            .text(check.event_type_id)
            .text(check.event_type)
            .text(event_date)
            .text_or_null(user)
            .text(check.data)
            .text(received)
            .text(received);
        for (const auto &metric : check.metrics) {
            deltas.push_back({event.tenant_id, event_ms, check.event_type, metric.storage_key,
                              project_metric_contribution(metric.kind, metric.value)});
            char value[32];
            snprintf(value, sizeof(value), "%.17g", metric.value);
            postgres::CopyRow(metric_rows)
                .number(event.tenant_id)
                .text(event.id)
                .text_or_null(user)
                .text(metric.storage_key)
                .text(metric.kind)
                .text(value)
                .text(event_date);
        }
    }
    db.copy_in("COPY computed_events (tenant_id, id, event_type_id, event_type, event_date, user_id, data, created_at,"
               " updated_at) FROM STDIN", event_rows);
    if (!metric_rows.empty()) {
        db.copy_in("COPY event_metrics (tenant_id, event_id, user_id, storage_key, kind, value, metric_date) FROM STDIN",
                   metric_rows);
    }
    add_project_metrics(db, deltas);
    return users;
}

}  // namespace analytics::ingest
