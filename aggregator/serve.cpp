#include "serve.h"
#include "auth/management_limit.h"
#include "housekeeping.h"
#include "http/server.h"
#include "ingest/stream_consumer.h"
#include "log.h"
#include "postgres/migrations.h"
#include "postgres/watchdog.h"
#include "redis/module_cache.h"
#include "routes/services.h"

#include <algorithm>
#include <csignal>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include <systemd/sd-daemon.h>

namespace analytics {
namespace {

// the signals serve answers, blocked in every thread so that only sigwait
// takes them
sigset_t block_signals()
{
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
    return signals;
}

// PostgreSQL may come up after us (a host's boot, a failover): wait for it,
// migrate, and stay stoppable meanwhile; false when stopped before it came
bool migrate_when_reachable(const Settings &settings, const sigset_t &signals)
{
    for (;;) {
        try {
            postgres::Connection db(settings.database_url);
            apply_migrations(db, settings.sql_dir);
            return true;
        } catch (const postgres::Error &e) {
            if (!e.is_connection_failure()) throw;
            log::warn(std::string("PostgreSQL is not reachable yet, retrying in 2 s: ") + e.what());
            timespec wait{2, 0};
            int received = sigtimedwait(&signals, nullptr, &wait);
            if (received == SIGTERM || received == SIGINT) return false;
        }
    }
}

// Each stream shard gets its consumers: the first has the configured name,
// the others "<name>#2" and so on (a group is per stream, so the names
// repeat across shards); stable across restarts, so each finds its own
// pending entries.
class Consumers {
public:
    Consumers(const Settings &settings, std::atomic<bool> &stopping, ingest::ConsumerCounters &counters)
    {
        for (int shard = 0; shard < settings.stream_shards; shard++) {
            for (int i = 0; i < settings.consumers; i++) {
                std::string name = settings.consumer_name + (i == 0 ? "" : "#" + std::to_string(i + 1));
                consumers_.push_back(std::make_unique<ingest::StreamConsumer>(settings, shard, name, stopping, counters));
                threads_.emplace_back([&consumer = *consumers_.back()] { consumer.run(); });
            }
        }
    }
    Consumers(const Consumers &) = delete;
    Consumers &operator=(const Consumers &) = delete;

    // after stopping is set: each batch in hand is committed and acknowledged first
    void join()
    {
        for (auto &thread : threads_) thread.join();
    }

private:
    std::vector<std::unique_ptr<ingest::StreamConsumer>> consumers_;
    std::vector<std::thread> threads_;
};

// Redis may have restarted empty: the module must find every tenant again;
// every shard gets the day's visitor salt ahead of the day; next months'
// event partitions are made before they are needed.
std::vector<housekeeping::Chore> chores(const Settings &settings, postgres::Pool &pool, cache::ModuleCache &module_cache)
{
    using std::chrono::hours, std::chrono::minutes, std::chrono::seconds;
    return {
        {"cache rebuild", settings.cache_refresh, seconds(1),
         [&] {
             auto db = pool.borrow();
             module_cache.rebuild(*db);
         }},
        {"sharing visitor salts", settings.maintenance_interval, seconds(1),
         [&] { module_cache.share_visitor_salts(); }},
        {"making event partitions", hours(1), minutes(1),
         [&] {
             auto db = pool.borrow();
             auto made = db->exec("SELECT make_event_partitions(2)").integer(0, 0);
             if (made > 0) log::info("made " + std::to_string(made) + " event partition(s) ahead");
         }},
    };
}

std::string listening_line(const Settings &settings)
{
    return "aggregator listening on " + settings.listen_host + ":" + std::to_string(settings.listen_port)
           + ", consuming " + settings.stream
           + (settings.stream_shards > 1 ? " and " + std::to_string(settings.stream_shards - 1) + " more shard(s)" : "")
           + " as " + settings.consumer_group + "/" + settings.consumer_name
           + (settings.consumers > 1 ? " and " + std::to_string(settings.consumers - 1) + " more" : "");
}

// answers SIGHUP with a cache rebuild; returns on SIGTERM or SIGINT
void wait_for_stop(const sigset_t &signals, postgres::Pool &pool, cache::ModuleCache &module_cache)
{
    for (;;) {
        int received = 0;
        sigwait(&signals, &received);
        if (received != SIGHUP) {
            log::info(std::string("stopping on ") + strsignal(received));
            return;
        }
        log::info("SIGHUP: rebuilding caches");
        try {
            auto db = pool.borrow();
            module_cache.rebuild(*db);
        } catch (const std::exception &e) {
            log::warn(std::string("cache rebuild failed: ") + e.what());
        }
    }
}

}  // namespace

int serve(const Settings &settings)
{
    sigset_t signals = block_signals();
    if (!migrate_when_reachable(settings, signals)) {
        log::info("stopped before PostgreSQL was reachable");
        return 0;
    }

    // from here on no statement waits for ever (migrations above may take long)
    postgres::Watchdog::set_statement_timeout(settings.statement_timeout);
    postgres::Pool pool(settings.database_url, static_cast<size_t>(settings.database_pool_size));
    cache::ModuleCache module_cache(redis::Address::parse(settings.redis_url), settings.stream_shards);
    ingest::ConsumerCounters counters;
    std::atomic<bool> stopping{false};

    routes::Services services{settings, pool, module_cache, counters};
    http::Router router;
    routes::register_all_routes(router, services);
    limits::ManagementLimit management_limit(redis::Address::parse(settings.redis_url),
                                             settings.management_rate_limit, std::chrono::minutes(1), pool,
                                             settings.trusted_proxies);
    router.guard([&management_limit](const http::Request &request) { return management_limit.check(request); });

    http::ServerLimits limits;
    limits.threads = static_cast<unsigned>(settings.http_threads);
    limits.max_body_bytes = settings.max_body_bytes;
    limits.connection_limit = static_cast<unsigned>(settings.http_connection_limit);
    limits.per_ip_limit = std::min(limits.per_ip_limit, limits.connection_limit);
    limits.timeout_seconds = static_cast<unsigned>(settings.http_idle_timeout.count());
    http::Server server(router, limits);
    server.start(settings.listen_host, settings.listen_port);

    Consumers consumers(settings, stopping, counters);
    std::thread housekeeping_thread(housekeeping::run_chores, chores(settings, pool, module_cache), std::cref(stopping));
    log::info(listening_line(settings));
    // Type=notify in the systemd unit: units ordered after ours start only
    // now, with the API answering and the consumers reading (no-op elsewhere)
    sd_notify(0, "READY=1\nSTATUS=consuming and serving");

    wait_for_stop(signals, pool, module_cache);
    sd_notify(0, "STOPPING=1");
    // a silent PostgreSQL must not keep us: what runs now has 5 s to finish
    stopping = true;
    postgres::Watchdog::set_statement_timeout(std::chrono::seconds(5));
    postgres::Watchdog::instance().hurry(std::chrono::seconds(5));
    server.stop();
    consumers.join();
    housekeeping_thread.join();
    log::info("stopped");
    return 0;
}

}  // namespace analytics
