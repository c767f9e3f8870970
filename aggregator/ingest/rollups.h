// The hourly rollups, and the daily ones of interactions and attributed
// events, that reports read, summed in memory over the events a batch
// inserted and written in the same transaction: passed as arrays and
// upserted in key order, so that two aggregators touching the same rows
// wait for each other instead of deadlocking. Hours are UTC.
#pragma once

#include "ingest/incoming_event.h"
#include "postgres/connection.h"

#include <map>
#include <string>
#include <tuple>

namespace analytics::ingest {

// what attribution and its rollups need of an event; views into an
// IncomingEvent or a query result, which must outlive it
struct AttributedEvent {
    int64_t tenant_id = 0;
    std::string_view id, type, country, currency, visitor;
    std::string_view user;   // a Webmarketer event's user: its offline touches count too
    int64_t occurred_ms = 0;
    int64_t value_minor = 0;

    static AttributedEvent of(const IncomingEvent &event)
    {
        return {event.fields.tenant_id, event.id(), event.type(), event.country(), event.currency,
                event.visitor(), event.user_id, event.occurred_ms, event.value_minor};
    }
};

class RollupAccumulator {
public:
    void add_event(const IncomingEvent &event);
    void add_interaction(const IncomingEvent &event);
    // an attributed share: event gives tenant, time, type, country and
    // currency; a share taken back is added with negative sums
    void add_share(const AttributedEvent &event, std::string_view source, std::string_view medium,
                   std::string_view campaign, int64_t credit_micros, int64_t value_minor);

    void write(postgres::Connection &db) const;

private:
    struct Sums {
        int64_t count = 0;   // events, interactions, or credit in millionths
        int64_t value_minor = 0;
    };
    // tenant, hour, event type, country, currency
    using EventKey = std::tuple<int64_t, int64_t, std::string, std::string, std::string>;
    // tenant, hour, source, medium, campaign, country
    using InteractionKey = std::tuple<int64_t, int64_t, std::string, std::string, std::string, std::string>;
    // tenant, hour, event type, source, medium, campaign, country, currency
    using AttributedKey = std::tuple<int64_t, int64_t, std::string, std::string, std::string, std::string,
                                     std::string, std::string>;

    // transparent: found by a key of views, copied only when new
    std::map<EventKey, Sums, std::less<>> events_;
    std::map<InteractionKey, Sums, std::less<>> interactions_;
    std::map<AttributedKey, Sums, std::less<>> attributed_;
};

}  // namespace analytics::ingest
