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

// the UTC day of an hour, as a date: YYYY-MM-DD
std::string day_text(int64_t hour_ms)
{
    return hour_text(hour_ms).substr(0, 10);
}

// the sums of key (a tuple of views) in map, made when new
template <typename Map, typename Key>
auto &sums_at(Map &map, const Key &key)
{
    auto found = map.find(key);
    if (found == map.end()) found = map.emplace(typename Map::key_type(key), typename Map::mapped_type{}).first;
    return found->second;
}

// folds rows into the rollup in key order; types: of columns, in order
void upsert(postgres::Connection &db, const std::string &table, const std::string &columns,
            std::initializer_list<const char *> types, const std::string &key, const std::string &sums,
            const postgres::ColumnArrays &rows)
{
    if (rows.empty()) return;
    std::string arrays;
    int n = 0;
    for (const char *type : types) {
        arrays += (n > 0 ? ", $" : "$") + std::to_string(n + 1) + "::" + type + "[]";
        n++;
    }
    db.exec("INSERT INTO " + table + " AS r (" + columns + ") SELECT * FROM unnest(" + arrays + ") AS t (" + columns
                + ") ORDER BY " + key + " ON CONFLICT (" + key + ") DO UPDATE SET " + sums,
            rows.params());
}

}  // namespace

void RollupAccumulator::add_event(const IncomingEvent &event)
{
    auto &sums = sums_at(events_, std::tuple(event.fields.tenant_id, hour_of(event.occurred_ms), event.type(),
                                             event.country(), std::string_view(event.currency)));
    sums.count++;
    sums.value_minor += event.value_minor;
}

void RollupAccumulator::add_interaction(const IncomingEvent &event)
{
    sums_at(interactions_, std::tuple(event.fields.tenant_id, hour_of(event.occurred_ms),
                                      std::string_view(event.source.source), std::string_view(event.source.medium),
                                      std::string_view(event.source.campaign), event.country()))
        .count++;
}

void RollupAccumulator::add_share(const AttributedEvent &event, std::string_view source, std::string_view medium,
                                  std::string_view campaign, int64_t credit_micros, int64_t value_minor)
{
    auto &sums = sums_at(attributed_, std::tuple(event.tenant_id, hour_of(event.occurred_ms), event.type, source,
                                                 medium, campaign, event.country, event.currency));
    sums.count += credit_micros;
    sums.value_minor += value_minor;
}

void RollupAccumulator::write(postgres::Connection &db) const
{
    postgres::ColumnArrays events(7);
    for (const auto &[key, sums] : events_) {
        const auto &[tenant, hour, type, country, currency] = key;
        events.number(tenant).text(hour_text(hour)).text(type).text(country).text(currency).number(sums.count)
            .number(sums.value_minor);
    }
    upsert(db, "rollup_events_hourly", "tenant_id, hour, event_type, country, currency, events, value_minor",
           {"bigint", "timestamptz", "text", "text", "text", "bigint", "bigint"},
           "tenant_id, hour, event_type, country, currency",
           "events = r.events + excluded.events, value_minor = r.value_minor + excluded.value_minor", events);

    // the hours, then the same sums folded into days
    for (const char *span : {"hour", "day"}) {
        const bool daily = std::string(span) == "day";
        const char *when_type = daily ? "date" : "timestamptz";
        auto when = [daily](int64_t hour) { return daily ? day_text(hour) : hour_text(hour); };
        std::map<std::tuple<int64_t, std::string, std::string, std::string, std::string, std::string>, Sums> interactions;
        for (const auto &[key, sums] : interactions_) {
            const auto &[tenant, hour, source, medium, campaign, country] = key;
            interactions[{tenant, when(hour), source, medium, campaign, country}].count += sums.count;
        }
        postgres::ColumnArrays interaction_rows(7);
        for (const auto &[key, sums] : interactions) {
            const auto &[tenant, at, source, medium, campaign, country] = key;
            interaction_rows.number(tenant).text(at).text(source).text(medium).text(campaign).text(country)
                .number(sums.count);
        }
        const std::string table_end = daily ? "_daily" : "_hourly";
        upsert(db, "rollup_interactions" + table_end,
               std::string("tenant_id, ") + span + ", source, medium, campaign, country, interactions",
               {"bigint", when_type, "text", "text", "text", "text", "bigint"},
               std::string("tenant_id, ") + span + ", source, medium, campaign, country",
               "interactions = r.interactions + excluded.interactions", interaction_rows);

        std::map<std::tuple<int64_t, std::string, std::string, std::string, std::string, std::string, std::string,
                            std::string>, Sums> attributed;
        for (const auto &[key, sums] : attributed_) {
            const auto &[tenant, hour, type, source, medium, campaign, country, currency] = key;
            auto &into = attributed[{tenant, when(hour), type, source, medium, campaign, country, currency}];
            into.count += sums.count;
            into.value_minor += sums.value_minor;
        }
        postgres::ColumnArrays attributed_rows(10);
        for (const auto &[key, sums] : attributed) {
            const auto &[tenant, at, type, source, medium, campaign, country, currency] = key;
            attributed_rows.number(tenant).text(at).text(type).text(source).text(medium).text(campaign)
                .text(country).text(currency).number(sums.count).number(sums.value_minor);
        }
        upsert(db, "rollup_attributed" + table_end,
               std::string("tenant_id, ") + span
                   + ", event_type, source, medium, campaign, country, currency, credit_micros, value_minor",
               {"bigint", when_type, "text", "text", "text", "text", "text", "text", "bigint", "bigint"},
               std::string("tenant_id, ") + span + ", event_type, source, medium, campaign, country, currency",
               "credit_micros = r.credit_micros + excluded.credit_micros,"
               " value_minor = r.value_minor + excluded.value_minor",
               attributed_rows);
    }
}

}  // namespace analytics::ingest
