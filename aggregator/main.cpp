// aggregator: consumes the event streams into PostgreSQL and serves the
// management API. Commands: serve (default), migrate, token create,
// cache rebuild.
#include "auth/tokens.h"
#include "http/router.h"
#include "ingest/stream_consumer.h"
#include "postgres/migrations.h"
#include "redis/module_cache.h"
#include "routes/services.h"
#include "serve.h"
#include "settings.h"
#include "split.h"
#include "stores/tenant_store.h"
#include "stores/token_store.h"

#include <algorithm>
#include <iostream>
#include <map>
#include <optional>
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
    request.scopes = split_nonempty(option("--scopes").value_or(admin ? "admin" : "events:write"), ',');
    request.expires_at = option("--expires-at");
    // mirrored now, so the module takes the token before the next rebuild
    cache::ModuleCache mirror(redis::Address::parse(settings.redis_url), settings.stream_shards);
    auto issued = tokens::issue(db, mirror, request);
    std::cout << issued.secret << "\n";
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
