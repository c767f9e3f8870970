#include "ingest/rollups.h"

#include "event_time.h"

namespace analytics::ingest {
namespace {

constexpr int64_t kHourMs = 3600 * 1000;

int64_t hour_of(int64_t unix_ms)
{
    int64_t hour = unix_ms / kHourMs;
    if (unix_ms < 0 && unix_ms % kHourMs != 0) hour--;
    return hour * kHourMs;
}

std::string hour_text(int64_t hour_ms)
{
    char text[ANALYTICS_RFC3339_MS_LEN + 1];
    analytics_time_format_rfc3339_ms(hour_ms, text);
    return text;
}

// stage rows by COPY, then fold them into the rollup in key order
void upsert(postgres::Connection &db, const std::string &table, const std::string &columns,
            const std::string &key, const std::string &sums, const std::string &rows)
{
    if (rows.empty()) return;
    db.copy_in("COPY " + table + "_incoming (" + columns + ") FROM STDIN", rows);
    db.exec("INSERT INTO " + table + " AS r (" + columns + ") SELECT " + columns + " FROM " + table
            + "_incoming ORDER BY " + key + " ON CONFLICT (" + key + ") DO UPDATE SET " + sums);
}

}  // namespace

void RollupAccumulator::prepare(postgres::Connection &db)
{
    for (const char *table : {"rollup_events_hourly", "rollup_interactions_hourly", "rollup_attributed_hourly"}) {
        db.exec(std::string("CREATE TEMP TABLE IF NOT EXISTS ") + table + "_incoming (LIKE " + table
                + ") ON COMMIT DELETE ROWS");
    }
}

void RollupAccumulator::add_event(const IncomingEvent &event)
{
    auto &sums = events_[{event.fields.tenant_id, hour_of(event.occurred_ms), std::string(event.type()),
                          std::string(event.country()), event.currency}];
    sums.count++;
    sums.value_minor += event.value_minor;
}

void RollupAccumulator::add_interaction(const IncomingEvent &event)
{
    interactions_[{event.fields.tenant_id, hour_of(event.occurred_ms), event.source.source, event.source.medium,
                   event.source.campaign, std::string(event.country())}]
        .count++;
}

void RollupAccumulator::add_share(const IncomingEvent &event, std::string_view source, std::string_view medium,
                                  std::string_view campaign, int64_t credit_micros, int64_t value_minor)
{
    auto &sums = attributed_[{event.fields.tenant_id, hour_of(event.occurred_ms), std::string(event.type()),
                              std::string(source), std::string(medium), std::string(campaign),
                              std::string(event.country()), event.currency}];
    sums.count += credit_micros;
    sums.value_minor += value_minor;
}

void RollupAccumulator::write(postgres::Connection &db) const
{
    std::string rows;
    for (const auto &[key, sums] : events_) {
        const auto &[tenant, hour, type, country, currency] = key;
        postgres::CopyRow(rows).number(tenant).text(hour_text(hour)).text(type).text(country).text(currency)
            .number(sums.count).number(sums.value_minor);
    }
    upsert(db, "rollup_events_hourly", "tenant_id, hour, event_type, country, currency, events, value_minor",
           "tenant_id, hour, event_type, country, currency",
           "events = r.events + excluded.events, value_minor = r.value_minor + excluded.value_minor", rows);

    rows.clear();
    for (const auto &[key, sums] : interactions_) {
        const auto &[tenant, hour, source, medium, campaign, country] = key;
        postgres::CopyRow(rows).number(tenant).text(hour_text(hour)).text(source).text(medium).text(campaign)
            .text(country).number(sums.count);
    }
    upsert(db, "rollup_interactions_hourly", "tenant_id, hour, source, medium, campaign, country, interactions",
           "tenant_id, hour, source, medium, campaign, country",
           "interactions = r.interactions + excluded.interactions", rows);

    rows.clear();
    for (const auto &[key, sums] : attributed_) {
        const auto &[tenant, hour, type, source, medium, campaign, country, currency] = key;
        postgres::CopyRow(rows).number(tenant).text(hour_text(hour)).text(type).text(source).text(medium)
            .text(campaign).text(country).text(currency).number(sums.count).number(sums.value_minor);
    }
    upsert(db, "rollup_attributed_hourly",
           "tenant_id, hour, event_type, source, medium, campaign, country, currency, credit_micros, value_minor",
           "tenant_id, hour, event_type, source, medium, campaign, country, currency",
           "credit_micros = r.credit_micros + excluded.credit_micros,"
           " value_minor = r.value_minor + excluded.value_minor",
           rows);
}

}  // namespace analytics::ingest
