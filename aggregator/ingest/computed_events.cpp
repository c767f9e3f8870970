#include "ingest/computed_events.h"
#include "auth/digest.h"

#include "event_time.h"


#include <algorithm>
#include <map>

namespace analytics::ingest {
namespace {

std::string timestamp(int64_t unix_ms)
{
    char text[ANALYTICS_RFC3339_MS_LEN + 1];
    analytics_time_format_rfc3339_ms(unix_ms, text);
    return text;
}

}  // namespace

std::string find_or_make_user(postgres::Connection &db, int64_t tenant_id,
                         const std::vector<std::pair<std::string, std::string>> &hashed,
                         std::map<std::pair<int64_t, std::string>, std::string> &known)
{
    for (const auto &[kind, hash] : hashed) {
        auto found = known.find({tenant_id, kind + "\n" + hash});
        if (found != known.end()) return found->second;
    }
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

    auto rows = db.exec("SELECT u.id::text FROM user_identities i JOIN project_users u ON u.tenant_id = i.tenant_id"
                        " AND u.id = i.user_id JOIN unnest($2::text[], $3::text[]) AS w (kind, value_hash)"
                        " ON w.kind = i.kind AND w.value_hash = i.value_hash WHERE i.tenant_id = $1"
                        " ORDER BY u.created_at, u.id LIMIT 1",
                        {tenant, postgres::text_array_literal(kinds), postgres::text_array_literal(hashes)});
    std::string user = rows.rows() == 1
        ? std::string(rows.text(0, 0))
        : std::string(db.exec("INSERT INTO project_users (tenant_id) VALUES ($1) RETURNING id::text", {tenant}).text(0, 0));
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

void write_computed_events(postgres::Connection &db, const std::vector<ComputedEvent> &events)
{
    if (events.empty()) return;
    std::map<std::pair<int64_t, std::string>, std::string> known;   // (tenant, kind\nhash) -> user
    std::string event_rows, metric_rows;
    for (const auto &event : events) {
        const ProjectEventCheck &check = event.check;
        std::vector<std::pair<std::string, std::string>> hashed;
        for (const auto &[kind, value] : check.identities) {
            if (!value.empty()) hashed.emplace_back(kind, identity_hash(event.tenant_id, kind, value));
        }
        std::string user = hashed.empty() ? std::string() : find_or_make_user(db, event.tenant_id, hashed, known);
        std::string received = timestamp(event.received_ms);
        std::string event_date = timestamp(check.event_date_ms.value_or(event.received_ms));
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
}

}  // namespace analytics::ingest
