// The aggregator's configuration: ANALYTICS_* keys from the environment or a
// KEY=value file (the same keys; the file wins). A bad or unknown key fails
// at start with its name, never at the first request.
#pragma once

#include "redis_keys.h"

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

namespace analytics {

class SettingsError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct Settings {
    std::string database_url;                         // ANALYTICS_DATABASE_URL (required)
    std::string redis_url = "redis://127.0.0.1:6379"; // ANALYTICS_REDIS_URL
    std::string listen_host = "127.0.0.1";            // ANALYTICS_LISTEN host:port
    int listen_port = 8081;
    std::string stream = ANALYTICS_KEY_STREAM;        // ANALYTICS_STREAM: the first shard's; it carries the {analytics} tag
    int stream_shards = 1;                            // ANALYTICS_STREAM_SHARDS: as the module's analytics_stream_shards
    std::string consumer_group = "aggregator";        // ANALYTICS_CONSUMER_GROUP
    std::string consumer_name;                        // ANALYTICS_CONSUMER_NAME (default: host:listen port)
    int consumers = 2;                                // ANALYTICS_CONSUMERS: threads, each its own consumer and connection
    int batch_size = 1000;                            // ANALYTICS_BATCH_SIZE
    std::chrono::milliseconds batch_wait{200};        // ANALYTICS_BATCH_WAIT_MS
    std::string sql_dir;                              // ANALYTICS_SQL_DIR
    int http_threads = 4;                             // ANALYTICS_HTTP_THREADS
    int http_connection_limit = 512;                  // ANALYTICS_HTTP_CONNECTIONS: open connections; more are closed at accept
    std::chrono::seconds http_idle_timeout{30};       // ANALYTICS_HTTP_IDLE_TIMEOUT_S: a connection silent this long is closed
    int database_pool_size = 8;                       // ANALYTICS_DATABASE_POOL_SIZE
    // a statement PostgreSQL has not answered by then drops its connection
    std::chrono::milliseconds statement_timeout{30000};   // ANALYTICS_PG_STATEMENT_TIMEOUT_MS
    std::chrono::seconds cache_refresh{60};           // ANALYTICS_CACHE_REFRESH_S
    size_t max_body_bytes = 1 << 20;                  // ANALYTICS_MAX_BODY_BYTES
    std::chrono::milliseconds claim_idle{60000};      // ANALYTICS_CLAIM_IDLE_MS
    std::chrono::milliseconds maintenance_interval{10000};  // ANALYTICS_MAINTENANCE_INTERVAL_MS
    // peers whose X-Forwarded-For is believed (its last entry, the one they added)
    std::vector<std::string> trusted_proxies = {"127.0.0.1", "::1"};   // ANALYTICS_TRUSTED_PROXIES
    long long management_rate_limit = 600;            // ANALYTICS_MANAGEMENT_RATE_LIMIT: per minute and token (or client); 0: off
    int max_deliveries = 5;                           // ANALYTICS_MAX_DELIVERIES: then the dead-letter stream
    std::string dead_letter_stream;                   // ANALYTICS_DEAD_LETTER_STREAM (default: <stream>:dead)

    // environment first, then the file if given (its keys override); with
    // none given, the build's ANALYTICS_DEFAULT_CONFIG when it exists
    static Settings load(const std::string &config_file);

    // key (which carries the {analytics} tag) as stream shard `shard` names it
    static std::string shard_key(const std::string &key, int shard);

};

}  // namespace analytics
