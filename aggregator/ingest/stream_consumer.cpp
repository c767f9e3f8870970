#include "ingest/stream_consumer.h"
#include "ingest/stream_batch.h"
#include "log.h"
#include "postgres/connection.h"
#include "redis/connection.h"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <optional>
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

// "ms-seq" ids compare as pairs of numbers
std::pair<unsigned long long, unsigned long long> id_parts(const std::string &id)
{
    auto dash = id.find('-');
    if (dash == std::string::npos) return {std::stoull(id), 0};
    return {std::stoull(id.substr(0, dash)), std::stoull(id.substr(dash + 1))};
}

// a field of a flat [name, value, name, value ...] RESP2 map
const redisReply *map_field(const redisReply *map, std::string_view name)
{
    if (map == nullptr || map->type != REDIS_REPLY_ARRAY) return nullptr;
    for (size_t i = 0; i + 1 < map->elements; i += 2) {
        if (map->element[i]->type == REDIS_REPLY_STRING
            && std::string_view(map->element[i]->str, map->element[i]->len) == name)
        {
            return map->element[i + 1];
        }
    }
    return nullptr;
}

long long now_ms()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string text_of(const redisReply *reply)
{
    return {reply->str, reply->len};
}

}  // namespace

void ConsumerCounters::observe_batch_latency(std::chrono::microseconds latency)
{
    batch_latency_sum_us += static_cast<uint64_t>(latency.count());
    for (size_t i = 0; i < kBatchLatencyBoundsMs.size(); i++) {
        if (static_cast<uint64_t>(latency.count()) <= kBatchLatencyBoundsMs[i] * 1000) {
            batch_latency_buckets[i]++;
            return;
        }
    }
    // beyond the last bound: counted only in +Inf, which is batches_committed
}

std::vector<const redisReply *> StreamConsumer::dead_letter_overdelivered(
    redis::Connection &redis, postgres::Connection &db, const std::vector<const redisReply *> &entries)
{
    if (entries.empty()) return entries;
    auto pending = redis.checked({"XPENDING", stream_, settings_.consumer_group,
                                  text_of(entries.front()->element[0]), text_of(entries.back()->element[0]),
                                  std::to_string(settings_.batch_size), name_});
    std::map<std::string, long long> deliveries;
    for (size_t i = 0; pending->type == REDIS_REPLY_ARRAY && i < pending->elements; i++) {
        const redisReply *item = pending->element[i];
        if (item->type == REDIS_REPLY_ARRAY && item->elements == 4) {
            deliveries[text_of(item->element[0])] = item->element[3]->integer;
        }
    }

    std::vector<const redisReply *> keep;
    for (const redisReply *entry : entries) {
        std::string id = text_of(entry->element[0]);
        auto found = deliveries.find(id);
        if (found == deliveries.end()) continue;   // no longer ours: acknowledged, or claimed by another
        long long count = found->second;
        if (count <= settings_.max_deliveries) {
            keep.push_back(entry);
            continue;
        }
        std::string problem = fmt::format("delivered {} times without being committed; moved to {}", count,
                                          dead_letter_stream_);
        // the trash keeps it when it can; the dead-letter stream always does
        BatchResult ignored;
        std::vector<Unkept> refused_by_trash;
        for (const auto &part : events_of(entry)) trash_or_hand_back(writer_, db, part, problem, ignored, refused_by_trash);
        dead_letter(redis, entry, id, "deliveries", std::to_string(count));
        redis.checked({"XACK", stream_, settings_.consumer_group, id});
        counters_.dead_lettered++;
        log::error(fmt::format("entry {}: {}", id, problem));
    }
    return keep;
}

void StreamConsumer::dead_letter(redis::Connection &redis, const redisReply *entry, const std::string &dead_letter_of,
                                 const std::string &why_field, const std::string &why)
{
    std::vector<std::string> add = {"XADD", dead_letter_stream_, "*", "dead_letter_of", dead_letter_of, why_field, why};
    const redisReply *fields = entry->element[1];
    for (size_t i = 0; fields->type == REDIS_REPLY_ARRAY && i + 1 < fields->elements; i += 2) {
        add.push_back(text_of(fields->element[i]));
        add.push_back(text_of(fields->element[i + 1]));
    }
    redis.checked(add);
}

bool StreamConsumer::claim_abandoned(redis::Connection &redis)
{
    std::string cursor = "0-0";
    bool any = false;
    for (int round = 0; round < 100; round++) {
        // JUSTID: the entries become ours without counting a delivery; our
        // next read of our own pending list picks them up
        auto reply = redis.checked({"XAUTOCLAIM", stream_, settings_.consumer_group,
                                    name_, std::to_string(settings_.claim_idle.count()),
                                    cursor, "COUNT", std::to_string(settings_.batch_size), "JUSTID"});
        if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2) break;
        const redisReply *ids = reply->element[1];
        if (ids->type == REDIS_REPLY_ARRAY && ids->elements > 0) {
            counters_.claimed += ids->elements;
            log::warn(fmt::format("claimed {} entries left pending over {} ms by another consumer",
                                  ids->elements, settings_.claim_idle.count()));
            any = true;
        }
        cursor.assign(reply->element[0]->str, reply->element[0]->len);
        if (cursor == "0-0") break;
    }
    return any;
}

void StreamConsumer::trim_acknowledged(redis::Connection &redis)
{
    auto groups = redis.checked({"XINFO", "GROUPS", stream_});
    if (groups->type != REDIS_REPLY_ARRAY || groups->elements == 0) return;

    std::optional<std::string> keep_from;   // the oldest id some group still needs
    for (size_t i = 0; i < groups->elements; i++) {
        const redisReply *group = groups->element[i];
        const redisReply *name = map_field(group, "name");
        const redisReply *pending = map_field(group, "pending");
        const redisReply *delivered = map_field(group, "last-delivered-id");
        if (name == nullptr || pending == nullptr || delivered == nullptr) return;

        const redisReply *lag = map_field(group, "lag");
        if (lag != nullptr && lag->type == REDIS_REPLY_INTEGER
            && std::string_view(name->str, name->len) == settings_.consumer_group)
        {
            counters_.lag[static_cast<size_t>(shard_)].entries = lag->integer;
        }

        std::string needed(delivered->str, delivered->len);
        if (pending->integer > 0) {
            auto summary = redis.checked({"XPENDING", stream_, std::string(name->str, name->len)});
            if (summary->type != REDIS_REPLY_ARRAY || summary->elements < 2
                || summary->element[1]->type != REDIS_REPLY_STRING)
            {
                return;
            }
            needed.assign(summary->element[1]->str, summary->element[1]->len);
        }
        if (!keep_from || id_parts(needed) < id_parts(*keep_from)) keep_from = needed;
    }
    if (!keep_from || *keep_from == "0-0") return;

    // "~": whole macro nodes only, cheap; what stays is at most one node more
    auto trimmed = redis.checked({"XTRIM", stream_, "MINID", "~", *keep_from});
    if (trimmed->type == REDIS_REPLY_INTEGER && trimmed->integer > 0) {
        counters_.trims++;
    }
}

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

void StreamConsumer::HeldBatch::clear()
{
    entries.clear();
    ids.clear();
    reply.reset();
    from_own_pending = false;
}

std::unique_ptr<redis::Connection> StreamConsumer::connect_redis(ReadPosition &position)
{
    // the socket timeout must outlast BLOCK, or every idle read is an error
    auto redis = std::make_unique<redis::Connection>(redis::Address::parse(settings_.redis_url),
                                                     settings_.batch_wait + std::chrono::seconds(5), routing_key_);
    auto created = redis->command({"XGROUP", "CREATE", stream_, settings_.consumer_group, "0", "MKSTREAM"});
    if (created->type == REDIS_REPLY_ERROR && !std::string_view(created->str, created->len).starts_with("BUSYGROUP")) {
        throw redis::Error("XGROUP CREATE: " + std::string(created->str, created->len));
    }
    position = ReadPosition{};
    return redis;
}

bool StreamConsumer::read_batch(redis::Connection &redis, ReadPosition &position, HeldBatch &held)
{
    // our own unacknowledged entries first (a crash, a claim), then new ones
    auto count = std::clamp<long long>(std::llround(settings_.batch_size / events_per_entry_), 1, settings_.batch_size);
    std::vector<std::string> read = {"XREADGROUP", "GROUP", settings_.consumer_group, name_, "COUNT",
                                     std::to_string(count)};
    if (position.own_pending_checked) {
        read.insert(read.end(), {"BLOCK", std::to_string(settings_.batch_wait.count()), "STREAMS", stream_, ">"});
    } else {
        read.insert(read.end(), {"STREAMS", stream_, position.pending_cursor});
    }
    auto reply = redis.checked(read);
    auto entries = entries_of(reply.get());
    if (entries.empty()) {
        position.own_pending_checked = true;
        counters_.lag[static_cast<size_t>(shard_)].ms = 0;
        return false;
    }
    counters_.entries_read += entries.size();
    held.from_own_pending = !position.own_pending_checked;
    if (held.from_own_pending) position.pending_cursor = text_of(entries.back()->element[0]);
    // entries trimmed away while pending come back with no fields: nothing to write
    for (const redisReply *entry : entries) {
        held.ids.push_back(text_of(entry->element[0]));
        if (entry->element[1]->type == REDIS_REPLY_ARRAY) held.entries.push_back(entry);
    }
    held.reply = std::move(reply);
    return true;
}

BatchResult StreamConsumer::write_batch(postgres::Connection &db, const HeldBatch &held, std::vector<Unkept> &unkept)
{
    try {
        auto decoded = decode_entries(held.entries);
        return writer_.write(db, std::move(decoded.events), decoded.rejects);
    } catch (const postgres::Error &e) {
        if (!e.is_data_error() || !db.ok()) throw;
        log::warn(std::string("a batch was refused, writing its entries one by one: ") + e.what());
        return write_one_by_one(writer_, db, held.entries, unkept);
    }
}

void StreamConsumer::count_batch(const BatchResult &result, const HeldBatch &held,
                                 std::chrono::steady_clock::time_point started)
{
    counters_.observe_batch_latency(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started));
    counters_.lag[static_cast<size_t>(shard_)].ms =
        std::max(0LL, now_ms() - static_cast<long long>(id_parts(held.ids.back()).first));
    if (!held.entries.empty()) {
        double events = static_cast<double>(result.inserted + result.duplicates + result.rejected);
        events_per_entry_ = std::max(1.0, (events_per_entry_ + events / static_cast<double>(held.entries.size())) / 2);
    }
    counters_.events_written += result.inserted;
    counters_.duplicates += result.duplicates;
    counters_.rejected += result.rejected;
    counters_.interactions += result.interactions;
    counters_.attributed += result.attributed;
    counters_.trashed += result.trashed;
    counters_.attribution_lock_wait_us += result.lock_wait_us;
    counters_.batches_committed++;
    if (result.rejected > 0) {
        log::warn(fmt::format("{} stream entries could not be stored; kept in stream_rejects", result.rejected));
    }
}

void StreamConsumer::run()
{
    std::unique_ptr<redis::Connection> redis;
    std::unique_ptr<postgres::Connection> db;
    ReadPosition position;
    HeldBatch held;
    int failures = 0;
    auto next_maintenance = std::chrono::steady_clock::now();

    while (!stopping_) {
        try {
            if (!redis) redis = connect_redis(position);
            if (std::chrono::steady_clock::now() >= next_maintenance) {
                next_maintenance = std::chrono::steady_clock::now() + settings_.maintenance_interval;
                if (claim_abandoned(*redis)) position = ReadPosition{};
                trim_acknowledged(*redis);
            }
            if (held.empty() && !read_batch(*redis, position, held)) {
                failures = 0;
                continue;
            }

            // connected only now, so that with the database down the batch
            // sits read-but-unacknowledged in our pending list
            if (!db) {
                db = std::make_unique<postgres::Connection>(settings_.database_url);
                writer_.prepare(*db);
            }
            if (held.from_own_pending) {
                held.entries = dead_letter_overdelivered(*redis, *db, held.entries);
                held.from_own_pending = false;
            }

            auto started = std::chrono::steady_clock::now();
            std::vector<Unkept> unkept;
            BatchResult result = write_batch(*db, held, unkept);
            // kept in Redis before the acknowledgement, so a crash between
            // the two writes it again (a second dead letter), never none
            for (const auto &poison : unkept) {
                dead_letter(*redis, poison.entry, poison.reject_id, "problem", poison.problem);
                counters_.dead_lettered++;
                log::error(fmt::format("entry {}: {}; moved to {}", poison.reject_id, poison.problem, dead_letter_stream_));
            }
            std::vector<std::string> ack = {"XACK", stream_, settings_.consumer_group};
            ack.insert(ack.end(), held.ids.begin(), held.ids.end());
            redis->checked(ack);
            count_batch(result, held, started);
            held.clear();
            failures = 0;

        } catch (const redis::Error &e) {
            // the batch in hand stays: it is written (again, harmlessly) and
            // acknowledged over the next connection
            log::error(std::string("consumer: ") + e.what());
            redis.reset();
            pause_after_failure(failures);
        } catch (const postgres::Error &e) {
            log::error(std::string("consumer: ") + e.what());
            // a broken connection is replaced; the batch in hand is written
            // again when the database answers
            if (!db || !db->ok() || e.is_connection_failure()) {
                db.reset();
            }
            pause_after_failure(failures);
        } catch (const std::exception &e) {
            // anything else: start over from our pending list
            log::error(std::string("consumer: ") + e.what());
            db.reset();
            redis.reset();
            held.clear();
            pause_after_failure(failures);
        }
    }
}

}  // namespace analytics::ingest
