// Writes one batch of decoded events to PostgreSQL in one transaction: COPY
// into a session staging table, then INSERT ... ON CONFLICT DO NOTHING into
// events, so a redelivered entry changes nothing. The same transaction
// classifies interactions, attributes the other events over them and
// updates the rollups, for the events it inserted only. Events that could
// not be decoded (ingest/stream_batch) go to stream_rejects in the same
// transaction.
#pragma once

#include "ingest/incoming_event.h"
#include "postgres/connection.h"

#include <string>
#include <utility>
#include <vector>

namespace analytics::ingest {

struct BatchResult {
    size_t inserted = 0;    // new rows in events
    size_t duplicates = 0;  // already there (a redelivery)
    size_t rejected = 0;    // undecodable, kept in stream_rejects
    size_t interactions = 0;  // new rows in interactions
    size_t attributed = 0;    // shares of new events given to touches (or Direct)
    size_t trashed = 0;       // Webmarketer events that failed their event type
    uint64_t lock_wait_us = 0;  // taking the attribution lock (other batches of the tenant committing)

    BatchResult &operator+=(const BatchResult &other)
    {
        inserted += other.inserted;
        duplicates += other.duplicates;
        rejected += other.rejected;
        interactions += other.interactions;
        attributed += other.attributed;
        trashed += other.trashed;
        lock_wait_us += other.lock_wait_us;
        return *this;
    }
};

class EventBatchWriter {
public:
    explicit EventBatchWriter(std::string stream) : stream_(std::move(stream)) {}

    // once per connection: the staging table lives in the session
    void prepare(postgres::Connection &db);

    // events and rejects, in one transaction
    BatchResult write(postgres::Connection &db, std::vector<IncomingEvent> events,
                      const std::vector<Reject> &rejects = {});

    // rejects into stream_rejects (the trash), in the caller's transaction;
    // a second time changes nothing
    void keep_rejects(postgres::Connection &db, const std::vector<Reject> &rejects);

private:
    std::string stream_;
};

}  // namespace analytics::ingest
