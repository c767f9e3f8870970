// aggregator: consumes the event streams into PostgreSQL and serves the
// management API. Commands: serve (default), migrate, token create,
// cache rebuild.
#include "auth/tokens.h"
#include "stores/token_store.h"
#include "redis/module_cache.h"
#include "http/server.h"
#include "ingest/stream_consumer.h"
#include "log.h"
#include "auth/management_limit.h"
#include "postgres/migrations.h"
#include "routes/services.h"
#include "settings.h"
#include "stores/tenant_store.h"

#include <csignal>
#include <cstring>
#include <iostream>
#include <map>
#include <optional>
#include <thread>
#include <vector>

namespace analytics {
namespace {

const char *kUsage =
    "usage: aggregator [--config FILE] [COMMAND]\n"
    "\n"
    "commands:\n"
    "  serve                     consume streams and serve the API (default)\n"
    "  migrate                   apply the migrations in ANALYTICS_SQL_DIR and exit\n"
    "  token create --admin | --tenant REF  [--subject NAME] [--scopes a,b] [--expires-at RFC3339]\n"
    "                            print a new bearer token (shown once)\n"
    "  cache rebuild             rewrite the Redis caches the nginx module reads from PostgreSQL\n"
    "  routes                    print every route of the API as METHOD PATH, and exit\n"
    "\n"
    "Settings come from ANALYTICS_* environment variables or --config (see README).\n";

struct CommandLine {
    std::string config_file;
    std::vector<std::string> words;
    std::map<std::string, std::string> options;   // --name value
    std::vector<std::string> flags;               // --name
};

CommandLine parse_command_line(int argc, char **argv)
{
    static const std::vector<std::string> flag_names = {"--admin", "--help"};
    CommandLine line;
    for (int i = 1; i < argc; i++) {
        std::string arg = argv[i];
        if (arg == "-h") arg = "--help";
        if (!arg.starts_with("--")) {
            line.words.push_back(arg);
        } else if (std::find(flag_names.begin(), flag_names.end(), arg) != flag_names.end()) {
            line.flags.push_back(arg);
        } else if (i + 1 < argc) {
            if (arg == "--config") {
                line.config_file = argv[++i];
            } else {
                line.options[arg] = argv[++i];
            }
        } else {
            throw std::runtime_error(arg + " needs a value");
        }
    }
    return line;
}

std::vector<std::string> split_commas(const std::string &text)
{
    std::vector<std::string> items;
    size_t start = 0;
    while (start <= text.size()) {
        size_t comma = text.find(',', start);
        if (comma == std::string::npos) comma = text.size();
        if (comma > start) items.push_back(text.substr(start, comma - start));
        start = comma + 1;
    }
    return items;
}

int token_create(const Settings &settings, const CommandLine &line)
{
    postgres::Connection db(settings.database_url);
    tokens::TokenRequest request;
    bool admin = std::find(line.flags.begin(), line.flags.end(), "--admin") != line.flags.end();
    auto option = [&line](const std::string &name) -> std::optional<std::string> {
        auto found = line.options.find(name);
        if (found == line.options.end()) return std::nullopt;
        return found->second;
    };
    if (admin == option("--tenant").has_value()) {
        std::cerr << "token create: give exactly one of --admin and --tenant REF\n";
        return 2;
    }
    if (auto tenant = option("--tenant")) {
        auto found = tenants::find(db, *tenant);
        if (!found) {
            std::cerr << "token create: no tenant " << *tenant << "\n";
            return 1;
        }
        request.tenant_id = found->id;
    }
    request.subject = option("--subject").value_or(admin ? "admin" : "api");
    request.scopes = split_commas(option("--scopes").value_or(admin ? "admin" : "events:write"));
    request.expires_at = option("--expires-at");
    // mirrored now, so the module takes the token before the next rebuild
    cache::ModuleCache mirror(redis::Address::parse(settings.redis_url), settings.stream_shards);
    auto issued = tokens::issue(db, mirror, request);
    std::cout << issued.secret << "\n";
    return 0;
}

int serve(const Settings &settings)
{
    // signals are taken by sigwait below, never by a worker thread
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    // PostgreSQL may come up after us (a host's boot, a failover): wait for
    // it rather than exit, and stay stoppable meanwhile
    for (;;) {
        try {
            postgres::Connection db(settings.database_url);
            apply_migrations(db, settings.sql_dir);
            break;
        } catch (const postgres::Error &e) {
            if (!e.is_connection_failure()) throw;
            log::warn(std::string("PostgreSQL is not reachable yet, retrying in 2 s: ") + e.what());
            timespec wait{2, 0};
            int received = sigtimedwait(&signals, nullptr, &wait);
            if (received == SIGTERM || received == SIGINT) {
                log::info("stopped before PostgreSQL was reachable");
                return 0;
            }
        }
    }

    postgres::Pool pool(settings.database_url, static_cast<size_t>(settings.database_pool_size));
    cache::ModuleCache module_cache(redis::Address::parse(settings.redis_url), settings.stream_shards);
    ingest::ConsumerCounters counters;
    std::atomic<bool> stopping{false};

    routes::Services services{settings, pool, module_cache, counters};
    http::Router router;
    routes::register_all_routes(router, services);
    limits::ManagementLimit management_limit(redis::Address::parse(settings.redis_url),
                                             settings.management_rate_limit, std::chrono::minutes(1));
    router.guard([&management_limit](const http::Request &request) { return management_limit.check(request); });

    http::ServerLimits limits;
    limits.threads = static_cast<unsigned>(settings.http_threads);
    limits.max_body_bytes = settings.max_body_bytes;
    http::Server server(router, limits);
    server.start(settings.listen_host, settings.listen_port);

    // each stream shard gets its consumers: the first has the configured
    // name, the others "<name>#2" and so on (a group is per stream, so the
    // names repeat across shards): stable across restarts, so each finds its
    // own pending entries
    std::vector<std::unique_ptr<ingest::StreamConsumer>> consumers;
    std::vector<std::thread> consumer_threads;
    for (int shard = 0; shard < settings.stream_shards; shard++) {
        for (int i = 0; i < settings.consumers; i++) {
            std::string name = settings.consumer_name + (i == 0 ? "" : "#" + std::to_string(i + 1));
            consumers.push_back(std::make_unique<ingest::StreamConsumer>(settings, shard, name, stopping, counters));
            consumer_threads.emplace_back([&consumer = *consumers.back()] { consumer.run(); });
        }
    }

    // Redis may have restarted empty: the module must find every tenant
    // again; every shard gets the day's visitor salt ahead of the day; and
    // next months' event partitions are made before they are needed
    std::thread housekeeping_thread([&] {
        auto next_cache = std::chrono::steady_clock::now();
        auto next_partitions = std::chrono::steady_clock::now();
        auto next_salts = std::chrono::steady_clock::now();
        while (!stopping) {
            auto now = std::chrono::steady_clock::now();
            if (now >= next_cache) {
                try {
                    auto db = pool.borrow();
                    module_cache.rebuild(*db);
                    next_cache = now + settings.cache_refresh;
                } catch (const std::exception &e) {
                    log::warn(std::string("cache rebuild failed, retrying: ") + e.what());
                    next_cache = now + std::chrono::seconds(1);
                }
            }
            if (now >= next_salts) {
                try {
                    module_cache.share_visitor_salts();
                    next_salts = now + settings.maintenance_interval;
                } catch (const std::exception &e) {
                    log::warn(std::string("sharing visitor salts failed, retrying: ") + e.what());
                    next_salts = now + std::chrono::seconds(1);
                }
            }
            if (now >= next_partitions) {
                try {
                    auto db = pool.borrow();
                    auto made = db->exec("SELECT make_event_partitions(2)").integer(0, 0);
                    if (made > 0) log::info("made " + std::to_string(made) + " event partition(s) ahead");
                    next_partitions = now + std::chrono::hours(1);
                } catch (const std::exception &e) {
                    log::warn(std::string("making event partitions failed, retrying: ") + e.what());
                    next_partitions = now + std::chrono::minutes(1);
                }
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    });

    log::info("aggregator listening on " + settings.listen_host + ":" + std::to_string(settings.listen_port)
              + ", consuming " + settings.stream
              + (settings.stream_shards > 1 ? " and " + std::to_string(settings.stream_shards - 1) + " more shard(s)" : "")
              + " as " + settings.consumer_group + "/" + settings.consumer_name
              + (settings.consumers > 1 ? " and " + std::to_string(settings.consumers - 1) + " more" : ""));

    for (;;) {
        int received = 0;
        sigwait(&signals, &received);
        if (received == SIGHUP) {
            log::info("SIGHUP: rebuilding caches");
            try {
                auto db = pool.borrow();
                module_cache.rebuild(*db);
            } catch (const std::exception &e) {
                log::warn(std::string("cache rebuild failed: ") + e.what());
            }
            continue;
        }
        log::info(std::string("stopping on ") + strsignal(received));
        break;
    }

    server.stop();
    stopping = true;
    for (auto &thread : consumer_threads) thread.join();   // each batch in hand is committed and acknowledged first
    housekeeping_thread.join();
    log::info("stopped");
    return 0;
}

int run(int argc, char **argv)
{
    auto line = parse_command_line(argc, argv);
    if (std::find(line.flags.begin(), line.flags.end(), "--help") != line.flags.end()) {
        std::cout << kUsage;
        return 0;
    }
    std::string command = line.words.empty() ? "serve" : line.words[0];
    if (command == "routes") {
        // nothing is connected: the services are only named
        Settings settings;
        postgres::Pool pool("", 1);
        cache::ModuleCache module_cache(redis::Address{}, 1);
        ingest::ConsumerCounters counters;
        routes::Services services{settings, pool, module_cache, counters};
        http::Router router;
        routes::register_all_routes(router, services);
        for (const auto &route : router.describe()) std::cout << route << "\n";
        return 0;
    }
    auto settings = Settings::load(line.config_file);
    if (auto found = line.options.find("--consumer-name"); found != line.options.end()) {
        settings.consumer_name = found->second;
    }

    std::string sub = line.words.size() > 1 ? line.words[1] : "";

    if (command == "serve") return serve(settings);
    if (command == "migrate") {
        postgres::Connection db(settings.database_url);
        int applied = apply_migrations(db, settings.sql_dir);
        std::cout << "applied " << applied << " migration(s)\n";
        return 0;
    }
    if (command == "token" && sub == "create") return token_create(settings, line);
    if (command == "cache" && sub == "rebuild") {
        postgres::Connection db(settings.database_url);
        cache::ModuleCache cache(redis::Address::parse(settings.redis_url), settings.stream_shards);
        std::cout << "cached " << cache.rebuild(db) << " tenant(s)\n";
        return 0;
    }
    std::cerr << kUsage;
    return 2;
}

}  // namespace
}  // namespace analytics

int main(int argc, char **argv)
{
    try {
        return analytics::run(argc, argv);
    } catch (const analytics::SettingsError &e) {
        std::cerr << "aggregator: configuration: " << e.what() << "\n";
        return 78;   // EX_CONFIG
    } catch (const std::exception &e) {
        std::cerr << "aggregator: " << e.what() << "\n";
        return 1;
    }
}
