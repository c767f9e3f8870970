// aggregator: consumes the event streams into PostgreSQL and serves the
// management API. Commands: serve (default), migrate, token and tenant
// commands (operator_commands), cache rebuild, routes.
#include "http/router.h"
#include "ingest/stream_consumer.h"
#include "operator_commands.h"
#include "postgres/migrations.h"
#include "redis/module_cache.h"
#include "routes/services.h"
#include "serve.h"
#include "settings.h"

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
    "  token list [--tenant REF] every token: id, prefix, subject, scopes, tenant, expiry, revocation\n"
    "  token revoke ID           revoke a token at once (the module refuses it from the next request)\n"
    "  tenant create --slug SLUG [--name NAME]\n"
    "                            make a tenant, print its id, uuid and slug\n"
    "  tenant list               every tenant\n"
    "  cache rebuild             rewrite the Redis caches the nginx module reads from PostgreSQL\n"
    "  routes                    print every route of the API as METHOD PATH, and exit\n"
    "\n"
    "Settings come from ANALYTICS_* environment variables or --config (see README).\n";

int run(int argc, char **argv)
{
    auto line = parse_command_line(argc, argv);
    if (line.has_flag("--help")) {
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
    if (command == "token" && sub == "list") return token_list(settings, line);
    if (command == "token" && sub == "revoke") return token_revoke(settings, line);
    if (command == "tenant" && sub == "create") return tenant_create(settings, line);
    if (command == "tenant" && sub == "list") return tenant_list(settings);
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
