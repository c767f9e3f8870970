// Reads the event stream with a consumer group and writes each batch to
// PostgreSQL before acknowledging it. The group's pending list is the retry
// queue: after any failure the consumer re-reads its own pending entries
// first, so nothing is acknowledged that is not committed.
#pragma once

#include "ingest/event_batch_writer.h"
#include "redis/connection.h"
#include "settings.h"

#include <atomic>
#include <cstdint>

namespace analytics::ingest {

struct ConsumerCounters {
    std::atomic<uint64_t> entries_read{0};
    std::atomic<uint64_t> events_written{0};
    std::atomic<uint64_t> duplicates{0};
    std::atomic<uint64_t> rejected{0};
    std::atomic<uint64_t> batches_committed{0};
    std::atomic<uint64_t> failures{0};
    std::atomic<uint64_t> claimed{0};
    std::atomic<uint64_t> trims{0};
};

class StreamConsumer {
public:
    StreamConsumer(const Settings &settings, const std::atomic<bool> &stopping,
                   ConsumerCounters &counters)
        : settings_(settings), stopping_(stopping), counters_(counters), writer_(settings.stream) {}
    StreamConsumer(const StreamConsumer &) = delete;
    StreamConsumer &operator=(const StreamConsumer &) = delete;

    // until stopping is set; survives Redis and PostgreSQL outages
    void run();

private:
    void pause_after_failure(int &failures);
    // takes over entries other consumers left pending too long; true when any
    bool claim_abandoned(redis::Connection &redis);
    // drops what every group of the stream has acknowledged
    void trim_acknowledged(redis::Connection &redis);

    const Settings &settings_;
    const std::atomic<bool> &stopping_;
    ConsumerCounters &counters_;
    EventBatchWriter writer_;
};

}  // namespace analytics::ingest
