// Reads the event stream with a consumer group and writes each batch to
// PostgreSQL before acknowledging it. A batch the database could not take
// is held and written again until it can; the group's pending list is the
// retry queue across restarts: a (re)started consumer reads its own pending
// entries first, so nothing is acknowledged that is not committed. An entry
// delivered max_deliveries times without being committed (it crashed or
// stalled every consumer that took it) goes to the dead-letter stream and
// the trash instead of blocking the rest.
#pragma once

#include "ingest/event_batch_writer.h"
#include "ingest/stream_batch.h"
#include "redis/connection.h"
#include "settings.h"
#include "stream_shard.h"

#include <array>
#include <memory>
#include <atomic>
#include <cstdint>

namespace analytics::ingest {

// batch latency histogram bounds, milliseconds (Prometheus "le")
inline constexpr std::array<uint64_t, 10> kBatchLatencyBoundsMs = {5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000};

struct ConsumerCounters {
    std::atomic<uint64_t> entries_read{0};
    std::atomic<uint64_t> events_written{0};
    std::atomic<uint64_t> duplicates{0};
    std::atomic<uint64_t> rejected{0};
    std::atomic<uint64_t> dead_lettered{0};
    std::atomic<uint64_t> interactions{0};
    std::atomic<uint64_t> attributed{0};
    std::atomic<uint64_t> trashed{0};
    std::atomic<uint64_t> attribution_lock_wait_us{0};
    std::atomic<uint64_t> batches_committed{0};
    std::atomic<uint64_t> failures{0};
    std::atomic<uint64_t> claimed{0};
    std::atomic<uint64_t> trims{0};
    // write and acknowledge, per committed batch
    std::array<std::atomic<uint64_t>, kBatchLatencyBoundsMs.size()> batch_latency_buckets{};
    std::atomic<uint64_t> batch_latency_sum_us{0};
    // how far behind each shard's stream head: milliseconds between the
    // newest committed entry's id and its commit (0 when a read finds nothing
    // new), and entries not yet delivered to the group (XINFO GROUPS lag)
    struct StreamLag {
        std::atomic<int64_t> ms{0};
        std::atomic<int64_t> entries{0};
    };
    std::array<StreamLag, ANALYTICS_MAX_SHARDS> lag{};

    void observe_batch_latency(std::chrono::microseconds latency);
};

class StreamConsumer {
public:
    // shard: which stream shard it reads; name: this consumer's name in the
    // shard's group, stable across restarts
    StreamConsumer(const Settings &settings, int shard, std::string name, const std::atomic<bool> &stopping,
                   ConsumerCounters &counters)
        : settings_(settings), shard_(shard), stream_(Settings::shard_key(settings.stream, shard)),
          dead_letter_stream_(Settings::shard_key(settings.dead_letter_stream, shard)),
          routing_key_(Settings::shard_key(ANALYTICS_SHARD_TAG, shard)), name_(std::move(name)),
          stopping_(stopping), counters_(counters), writer_(stream_) {}
    StreamConsumer(const StreamConsumer &) = delete;
    StreamConsumer &operator=(const StreamConsumer &) = delete;

    // until stopping is set; survives Redis and PostgreSQL outages
    void run();

private:
    // the batch in hand: read, not yet committed and acknowledged
    struct HeldBatch {
        redis::Reply reply;
        std::vector<const redisReply *> entries;   // the entries with fields, to write
        std::vector<std::string> ids;              // every entry read, to acknowledge
        bool from_own_pending = false;

        bool empty() const { return ids.empty(); }
        void clear();
    };
    // where reading resumes: our own pending list from cursor until it is
    // read through, then new entries
    struct ReadPosition {
        bool own_pending_checked = false;
        std::string pending_cursor = "0";
    };

    std::unique_ptr<redis::Connection> connect_redis(ReadPosition &position);
    // one XREADGROUP into held; false when it found nothing
    bool read_batch(redis::Connection &redis, ReadPosition &position, HeldBatch &held);
    // the whole batch in one transaction, else event by event
    BatchResult write_batch(postgres::Connection &db, const HeldBatch &held, std::vector<Unkept> &unkept);
    // XADD to the dead-letter stream: dead_letter_of, then why, then the entry's own fields
    void dead_letter(redis::Connection &redis, const redisReply *entry, const std::string &dead_letter_of,
                     const std::string &why_field, const std::string &why);
    void count_batch(const BatchResult &result, const HeldBatch &held, std::chrono::steady_clock::time_point started);
    void pause_after_failure(int &failures);
    // takes over entries other consumers left pending too long; true when any
    bool claim_abandoned(redis::Connection &redis);
    // drops what every group of the stream has acknowledged; notes the lag
    void trim_acknowledged(redis::Connection &redis);
    // of entries read from our own pending list: those delivered too often
    // go to the trash (committed first) and the dead-letter stream, and are
    // acknowledged; returns the others
    std::vector<const redisReply *> dead_letter_overdelivered(redis::Connection &redis, postgres::Connection &db,
                                                              const std::vector<const redisReply *> &entries);

    const Settings &settings_;
    const int shard_;
    const std::string stream_;
    const std::string dead_letter_stream_;
    const std::string routing_key_;   // its hash tag: the cluster node to talk to
    const std::string name_;
    const std::atomic<bool> &stopping_;
    ConsumerCounters &counters_;
    EventBatchWriter writer_;
    // a version 3 entry carries a batch of the module's calls: entries are
    // read by the count that makes ANALYTICS_BATCH_SIZE events, as the
    // recent batches averaged them, so that a batch's memory stays bounded
    double events_per_entry_ = 1.0;
};

}  // namespace analytics::ingest
