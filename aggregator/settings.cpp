#include "settings.h"
#include "split.h"

#include <charconv>
#include <fstream>
#include <functional>
#include <map>
#include <unistd.h>

#include "stream_shard.h"

extern char **environ;

namespace analytics {
namespace {

long long parse_number(const std::string &key, const std::string &value, long long min, long long max)
{
    long long number = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (ec != std::errc() || end != value.data() + value.size() || number < min || number > max) {
        throw SettingsError(key + ": expected a whole number from " + std::to_string(min) + " to "
                            + std::to_string(max) + ", got \"" + value + "\"");
    }
    return number;
}

using Apply = std::function<void(Settings &, const std::string &key, const std::string &value)>;

const std::map<std::string, Apply> &appliers()
{
    static const std::map<std::string, Apply> table = {
        {"ANALYTICS_DATABASE_URL", [](Settings &s, auto &, auto &v) { s.database_url = v; }},
        {"ANALYTICS_REDIS_URL", [](Settings &s, auto &, auto &v) { s.redis_url = v; }},
        {"ANALYTICS_LISTEN",
         [](Settings &s, auto &k, auto &v) {
             auto colon = v.rfind(':');
             if (colon == std::string::npos || colon == 0) {
                 throw SettingsError(k + ": expected host:port, got \"" + v + "\"");
             }
             s.listen_host = v.substr(0, colon);
             s.listen_port = static_cast<int>(parse_number(k, v.substr(colon + 1), 1, 65535));
         }},
        {"ANALYTICS_STREAM", [](Settings &s, auto &, auto &v) { s.stream = v; }},
        {"ANALYTICS_STREAM_SHARDS",
         [](Settings &s, auto &k, auto &v) {
             s.stream_shards = static_cast<int>(parse_number(k, v, 1, ANALYTICS_MAX_SHARDS));
         }},
        {"ANALYTICS_CONSUMER_GROUP", [](Settings &s, auto &, auto &v) { s.consumer_group = v; }},
        {"ANALYTICS_CONSUMER_NAME", [](Settings &s, auto &, auto &v) { s.consumer_name = v; }},
        {"ANALYTICS_CONSUMERS",
         [](Settings &s, auto &k, auto &v) { s.consumers = static_cast<int>(parse_number(k, v, 1, 64)); }},
        {"ANALYTICS_BATCH_SIZE",
         [](Settings &s, auto &k, auto &v) { s.batch_size = static_cast<int>(parse_number(k, v, 1, 100000)); }},
        {"ANALYTICS_BATCH_WAIT_MS",
         [](Settings &s, auto &k, auto &v) { s.batch_wait = std::chrono::milliseconds(parse_number(k, v, 1, 60000)); }},
        {"ANALYTICS_SQL_DIR", [](Settings &s, auto &, auto &v) { s.sql_dir = v; }},
        {"ANALYTICS_HTTP_THREADS",
         [](Settings &s, auto &k, auto &v) { s.http_threads = static_cast<int>(parse_number(k, v, 1, 256)); }},
        {"ANALYTICS_HTTP_CONNECTIONS",
         [](Settings &s, auto &k, auto &v) { s.http_connection_limit = static_cast<int>(parse_number(k, v, 1, 100000)); }},
        {"ANALYTICS_HTTP_IDLE_TIMEOUT_S",
         [](Settings &s, auto &k, auto &v) { s.http_idle_timeout = std::chrono::seconds(parse_number(k, v, 1, 3600)); }},
        {"ANALYTICS_DATABASE_POOL_SIZE",
         [](Settings &s, auto &k, auto &v) { s.database_pool_size = static_cast<int>(parse_number(k, v, 1, 1000)); }},
        {"ANALYTICS_PG_STATEMENT_TIMEOUT_MS",
         [](Settings &s, auto &k, auto &v) { s.statement_timeout = std::chrono::milliseconds(parse_number(k, v, 100, 3600000)); }},
        {"ANALYTICS_CACHE_REFRESH_S",
         [](Settings &s, auto &k, auto &v) { s.cache_refresh = std::chrono::seconds(parse_number(k, v, 1, 86400)); }},
        {"ANALYTICS_CLAIM_IDLE_MS",
         [](Settings &s, auto &k, auto &v) { s.claim_idle = std::chrono::milliseconds(parse_number(k, v, 100, 86400000)); }},
        {"ANALYTICS_MAINTENANCE_INTERVAL_MS",
         [](Settings &s, auto &k, auto &v) { s.maintenance_interval = std::chrono::milliseconds(parse_number(k, v, 100, 3600000)); }},
        {"ANALYTICS_TRUSTED_PROXIES",
         [](Settings &s, auto &, auto &v) { s.trusted_proxies = list_option(v); }},
        {"ANALYTICS_MANAGEMENT_RATE_LIMIT",
         [](Settings &s, auto &k, auto &v) { s.management_rate_limit = parse_number(k, v, 0, 1000000); }},
        {"ANALYTICS_MAX_DELIVERIES",
         [](Settings &s, auto &k, auto &v) { s.max_deliveries = static_cast<int>(parse_number(k, v, 1, 1000)); }},
        {"ANALYTICS_DEAD_LETTER_STREAM", [](Settings &s, auto &, auto &v) { s.dead_letter_stream = v; }},
        {"ANALYTICS_MAX_BODY_BYTES",
         [](Settings &s, auto &k, auto &v) { s.max_body_bytes = static_cast<size_t>(parse_number(k, v, 1024, 64 << 20)); }},
    };
    return table;
}

void apply(Settings &settings, const std::string &key, const std::string &value, const std::string &origin)
{
    auto found = appliers().find(key);
    if (found == appliers().end()) {
        throw SettingsError(origin + ": unknown setting " + key);
    }
    found->second(settings, key, value);
}

}  // namespace

Settings Settings::load(const std::string &given_config_file)
{
    Settings settings;
    settings.sql_dir = ANALYTICS_DEFAULT_SQL_DIR;

    // an installed aggregator (the Debian package) reads its
    // /etc/analytics/aggregator.conf without being told, so operators type
    // `analytics-aggregator token list` and mean the running instance
    std::string config_file = given_config_file;
    if (config_file.empty() && *ANALYTICS_DEFAULT_CONFIG && access(ANALYTICS_DEFAULT_CONFIG, F_OK) == 0) {
        config_file = ANALYTICS_DEFAULT_CONFIG;
    }

    for (char **entry = environ; *entry; ++entry) {
        std::string line(*entry);
        auto eq = line.find('=');
        if (eq == std::string::npos || !line.starts_with("ANALYTICS_")) continue;
        apply(settings, line.substr(0, eq), line.substr(eq + 1), "environment");
    }

    if (!config_file.empty()) {
        std::ifstream in(config_file);
        if (!in) {
            throw SettingsError("cannot read configuration file " + config_file);
        }
        std::string line;
        int number = 0;
        while (std::getline(in, line)) {
            number++;
            auto first = line.find_first_not_of(" \t");
            if (first == std::string::npos || line[first] == '#') continue;
            auto eq = line.find('=');
            if (eq == std::string::npos) {
                throw SettingsError(config_file + ":" + std::to_string(number) + ": expected KEY=value");
            }
            auto key = line.substr(first, eq - first);
            while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.pop_back();
            apply(settings, key, line.substr(eq + 1), config_file + ":" + std::to_string(number));
        }
    }

    if (settings.database_url.empty()) {
        throw SettingsError("ANALYTICS_DATABASE_URL is required");
    }
    if (settings.consumer_name.empty()) {
        char host[256] = "aggregator";
        gethostname(host, sizeof(host) - 1);
        // stable across restarts, distinct for two aggregators on one host
        settings.consumer_name = std::string(host) + ":" + std::to_string(settings.listen_port);
    }
    if (settings.dead_letter_stream.empty()) {
        settings.dead_letter_stream = settings.stream + ":dead";   // the same hash tag, the same cluster slot
    }
    for (const auto &[key, value] : {std::pair{"ANALYTICS_STREAM", &settings.stream},
                                     std::pair{"ANALYTICS_DEAD_LETTER_STREAM", &settings.dead_letter_stream}}) {
        if (value->find(ANALYTICS_SHARD_TAG) == std::string::npos) {
            throw SettingsError(std::string(key) + ": \"" + *value + "\" must carry the " ANALYTICS_SHARD_TAG
                                " hash tag, as {analytics}:events does");
        }
    }
    return settings;
}

std::string Settings::shard_key(const std::string &key, int shard)
{
    std::string named(key.size() + 16, '\0');
    size_t len = analytics_shard_key(key.data(), key.size(), static_cast<unsigned>(shard), named.data(), named.size());
    if (len == 0) throw SettingsError("\"" + key + "\" carries no " ANALYTICS_SHARD_TAG " hash tag");
    named.resize(len);
    return named;
}

}  // namespace analytics
