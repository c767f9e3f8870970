#include "ingest/stream_consumer.h"
#include "log.h"
#include "postgres/connection.h"
#include "redis/connection.h"

#include <fmt/core.h>

#include <algorithm>
#include <memory>
#include <thread>

namespace analytics::ingest {
namespace {

// the [id, fields] entries of an XREADGROUP reply for one stream
std::vector<const redisReply *> entries_of(const redisReply *reply)
{
    std::vector<const redisReply *> entries;
    if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY || reply->elements == 0) {
        return entries;
    }
    const redisReply *stream = reply->element[0];
    if (stream->type != REDIS_REPLY_ARRAY || stream->elements != 2
        || stream->element[1]->type != REDIS_REPLY_ARRAY)
    {
        return entries;
    }
    const redisReply *items = stream->element[1];
    for (size_t i = 0; i < items->elements; i++) {
        const redisReply *item = items->element[i];
        if (item->type == REDIS_REPLY_ARRAY && item->elements == 2
            && item->element[0]->type == REDIS_REPLY_STRING)
        {
            entries.push_back(item);
        }
    }
    return entries;
}

}  // namespace

void StreamConsumer::pause_after_failure(int &failures)
{
    counters_.failures++;
    failures = std::min(failures + 1, 5);
    auto delay = std::chrono::milliseconds(100 << failures);  // 200 ms .. 3.2 s
    for (auto waited = std::chrono::milliseconds(0); waited < delay && !stopping_;
         waited += std::chrono::milliseconds(50))
    {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

void StreamConsumer::run()
{
    std::unique_ptr<redis::Connection> redis;
    std::unique_ptr<postgres::Connection> db;
    auto address = redis::Address::parse(settings_.redis_url);
    // the socket timeout must outlast BLOCK, or every idle read is an error
    auto timeout = settings_.batch_wait + std::chrono::seconds(5);
    bool own_pending_checked = false;
    std::string pending_cursor = "0";
    int failures = 0;

    while (!stopping_) {
        try {
            if (!redis) {
                redis = std::make_unique<redis::Connection>(address, timeout);
                auto created = redis->command({"XGROUP", "CREATE", settings_.stream,
                                               settings_.consumer_group, "0", "MKSTREAM"});
                if (created->type == REDIS_REPLY_ERROR
                    && !std::string_view(created->str, created->len).starts_with("BUSYGROUP"))
                {
                    throw redis::Error("XGROUP CREATE: " + std::string(created->str, created->len));
                }
                own_pending_checked = false;
                pending_cursor = "0";
            }

            // our own unacknowledged entries first (a crash, a failed batch), then new ones
            std::vector<std::string> read = {"XREADGROUP", "GROUP", settings_.consumer_group,
                                             settings_.consumer_name, "COUNT",
                                             std::to_string(settings_.batch_size)};
            if (own_pending_checked) {
                read.insert(read.end(), {"BLOCK", std::to_string(settings_.batch_wait.count()),
                                         "STREAMS", settings_.stream, ">"});
            } else {
                read.insert(read.end(), {"STREAMS", settings_.stream, pending_cursor});
            }
            auto reply = redis->checked(read);
            auto entries = entries_of(reply.get());

            if (entries.empty()) {
                own_pending_checked = true;
                failures = 0;
                continue;
            }
            counters_.entries_read += entries.size();

            // entries trimmed away while pending come back with no fields: nothing to write
            std::vector<const redisReply *> writable;
            for (const redisReply *entry : entries) {
                if (entry->element[1]->type == REDIS_REPLY_ARRAY) {
                    writable.push_back(entry);
                }
            }
            // connected only now, so that with the database down the batch
            // sits read-but-unacknowledged in our pending list
            if (!db) {
                db = std::make_unique<postgres::Connection>(settings_.database_url);
                writer_.prepare(*db);
            }
            auto result = writer_.write(*db, writable);

            std::vector<std::string> ack = {"XACK", settings_.stream, settings_.consumer_group};
            for (const redisReply *entry : entries) {
                ack.emplace_back(entry->element[0]->str, entry->element[0]->len);
            }
            redis->checked(ack);

            if (!own_pending_checked) {
                pending_cursor.assign(entries.back()->element[0]->str, entries.back()->element[0]->len);
            }
            counters_.events_written += result.inserted;
            counters_.duplicates += result.duplicates;
            counters_.rejected += result.rejected;
            counters_.batches_committed++;
            if (result.rejected > 0) {
                log::warn(fmt::format("{} stream entries could not be decoded; kept in stream_rejects",
                                      result.rejected));
            }
            failures = 0;

        } catch (const redis::Error &e) {
            log::error(std::string("consumer: ") + e.what());
            redis.reset();
            pause_after_failure(failures);
        } catch (const postgres::Error &e) {
            log::error(std::string("consumer: ") + e.what());
            // a broken connection is replaced; either way the batch stays
            // pending and is read again from our pending list
            if (!db || !db->ok() || e.is_connection_failure()) {
                db.reset();
            }
            own_pending_checked = false;
            pending_cursor = "0";
            pause_after_failure(failures);
        } catch (const std::exception &e) {
            log::error(std::string("consumer: ") + e.what());
            db.reset();
            redis.reset();
            pause_after_failure(failures);
        }
    }
}

}  // namespace analytics::ingest
