// /healthz: the process answers (from memory, whatever PostgreSQL does).
// /readyz: PostgreSQL and Redis answer too, within a second each, else 503
// with why.
// /metrics: Prometheus text format: the consumers' counters, and what each
// shard's Redis holds (stream length, memory), asked within a second.
#include "redis/connection.h"
#include "routes/services.h"

#include "redis_memory.h"

#include <fmt/core.h>

namespace analytics::routes {

namespace {

// each shard's stream length and its node's memory; a node that does not
// answer within a second is reported down, the rest still are
std::string redis_gauges(const Settings &settings)
{
    std::string up, length, used, max;
    for (int shard = 0; shard < settings.stream_shards; shard++) {
        const std::string stream = Settings::shard_key(settings.stream, shard);
        bool answered = false;
        try {
            redis::Connection redis(redis::Address::parse(settings.redis_url), std::chrono::seconds(1), stream);
            auto xlen = redis.checked({"XLEN", stream});
            auto info = redis.checked({"INFO", "memory"});
            analytics_redis_memory memory;
            if (xlen->type == REDIS_REPLY_INTEGER && info->type == REDIS_REPLY_STRING
                && analytics_redis_memory_read(info->str, info->len, &memory) == 0) {
                length += fmt::format("analytics_stream_length{{stream=\"{}\"}} {}\n", stream, xlen->integer);
                used += fmt::format("analytics_redis_used_memory_bytes{{stream=\"{}\"}} {}\n", stream, memory.used);
                max += fmt::format("analytics_redis_maxmemory_bytes{{stream=\"{}\"}} {}\n", stream, memory.max);
                answered = true;
            }
        } catch (const std::exception &) {
            // reported as down below
        }
        up += fmt::format("analytics_redis_up{{stream=\"{}\"}} {}\n", stream, answered ? 1 : 0);
    }
    return "# HELP analytics_redis_up Whether the shard's Redis answered this scrape within a second.\n"
           "# TYPE analytics_redis_up gauge\n" + up +
           "# HELP analytics_stream_length Entries in the shard's stream, delivered or not (XLEN).\n"
           "# TYPE analytics_stream_length gauge\n" + length +
           "# HELP analytics_redis_used_memory_bytes Memory the shard's Redis holds (used_memory).\n"
           "# TYPE analytics_redis_used_memory_bytes gauge\n" + used +
           "# HELP analytics_redis_maxmemory_bytes The shard's Redis maxmemory; 0 is no limit.\n"
           "# TYPE analytics_redis_maxmemory_bytes gauge\n" + max;
}

}  // namespace

void register_health_routes(http::Router &router, Services &services)
{
    router.add("GET", "/healthz", [](http::Request &) {
        return http::Response{200, R"({"status":"ok"})", "application/json", {}};
    });

    router.add("GET", "/readyz", [&services](http::Request &) {
        std::string problem;
        try {
            // a second each: a readiness probe must answer, and say why
            auto db = services.db.borrow_within(std::chrono::seconds(1));
            db->exec_within(std::chrono::seconds(1), "SELECT 1");
        } catch (const std::exception &e) {
            problem = std::string("postgresql: ") + e.what();
        }
        if (problem.empty()) {
            try {
                redis::Connection redis(redis::Address::parse(services.settings.redis_url),
                                        std::chrono::seconds(1));
                redis.checked({"PING"});
            } catch (const std::exception &e) {
                problem = std::string("redis: ") + e.what();
            }
        }
        if (!problem.empty()) {
            return http::error_response(503, problem);
        }
        return http::Response{200, R"({"status":"ready"})", "application/json", {}};
    });

    router.add("GET", "/metrics", [&services](http::Request &) {
        const auto &c = services.counters;
        std::string text;
        auto counter = [&text](const char *name, const char *help, uint64_t value) {
            text += fmt::format("# HELP {0} {1}\n# TYPE {0} counter\n{0} {2}\n", name, help, value);
        };
        counter("analytics_stream_entries_read_total", "Stream entries read by this consumer.", c.entries_read);
        counter("analytics_events_written_total", "Events inserted into PostgreSQL.", c.events_written);
        counter("analytics_events_duplicate_total", "Redelivered entries already stored.", c.duplicates);
        counter("analytics_stream_entries_rejected_total", "Undecodable entries kept in stream_rejects.", c.rejected);
        counter("analytics_batches_committed_total", "Batches committed and acknowledged.", c.batches_committed);
        counter("analytics_consumer_failures_total", "Consumer iterations that failed and were retried.", c.failures);
        counter("analytics_stream_entries_claimed_total", "Entries taken over from consumers that left them pending.", c.claimed);
        counter("analytics_stream_trims_total", "XTRIM calls that removed acknowledged entries.", c.trims);
        counter("analytics_stream_entries_dead_lettered_total",
                "Entries delivered too often without being committed, moved to the dead-letter stream.",
                c.dead_lettered);
        counter("analytics_interactions_written_total", "Interactions inserted, with their source classified.",
                c.interactions);
        counter("analytics_attribution_shares_total", "Shares of events attributed to touches or Direct.",
                c.attributed);
        counter("analytics_events_trashed_total", "Webmarketer events kept in the trash for failing their event type.",
                c.trashed);

        text += "# HELP analytics_batch_seconds Time to write and acknowledge one batch.\n"
                "# TYPE analytics_batch_seconds histogram\n";
        uint64_t cumulative = 0;
        for (size_t i = 0; i < ingest::kBatchLatencyBoundsMs.size(); i++) {
            cumulative += c.batch_latency_buckets[i];
            text += fmt::format("analytics_batch_seconds_bucket{{le=\"{}\"}} {}\n",
                                static_cast<double>(ingest::kBatchLatencyBoundsMs[i]) / 1000, cumulative);
        }
        text += fmt::format("analytics_batch_seconds_bucket{{le=\"+Inf\"}} {}\n", c.batches_committed.load());
        text += fmt::format("analytics_batch_seconds_sum {}\n", static_cast<double>(c.batch_latency_sum_us) / 1e6);
        text += fmt::format("analytics_batch_seconds_count {}\n", c.batches_committed.load());
        // consumers of one tenant take turns for attribution: time spent here
        // is time they waited for each other
        text += fmt::format("# HELP analytics_attribution_lock_wait_seconds_total Time batches spent taking the"
                            " per-tenant attribution lock.\n# TYPE analytics_attribution_lock_wait_seconds_total counter\n"
                            "analytics_attribution_lock_wait_seconds_total {}\n",
                            static_cast<double>(c.attribution_lock_wait_us) / 1e6);
        text += "# HELP analytics_consumer_lag_seconds Age of the newest committed entry when it was committed;"
                " 0 when caught up.\n# TYPE analytics_consumer_lag_seconds gauge\n";
        for (int shard = 0; shard < services.settings.stream_shards; shard++) {
            text += fmt::format("analytics_consumer_lag_seconds{{stream=\"{}\"}} {}\n",
                                Settings::shard_key(services.settings.stream, shard),
                                static_cast<double>(c.lag[static_cast<size_t>(shard)].ms) / 1000);
        }
        text += "# HELP analytics_consumer_lag_entries Entries of the stream not yet delivered to the group.\n"
                "# TYPE analytics_consumer_lag_entries gauge\n";
        for (int shard = 0; shard < services.settings.stream_shards; shard++) {
            text += fmt::format("analytics_consumer_lag_entries{{stream=\"{}\"}} {}\n",
                                Settings::shard_key(services.settings.stream, shard),
                                c.lag[static_cast<size_t>(shard)].entries.load());
        }
        text += redis_gauges(services.settings);
        return http::Response{200, text, "text/plain; version=0.0.4", {}};
    });
}

}  // namespace analytics::routes
