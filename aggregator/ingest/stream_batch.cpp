#include "ingest/stream_batch.h"
#include "json.h"

#include <iterator>

namespace analytics::ingest {
namespace {

std::string_view reply_text(const redisReply *reply)
{
    return {reply->str, reply->len};
}

// what the trash keeps of an event: its fields, a version 2 entry's h
// unpacked so that the kept fields read as version 1's
json::Value fields_as_json(const analytics_stream_entry &entry)
{
    auto object = json::take(json_object());
    analytics_stream_entry unpacked;
    const analytics_stream_field *version = analytics_stream_entry_find(&entry, "v");
    const char *problem = nullptr;
    const analytics_stream_entry *shown = &entry;
    if (version != nullptr && std::string_view(version->value, version->value_len) == "2"
        && analytics_stream_entry_unpack(&entry, &unpacked, &problem) == 0)
    {
        shown = &unpacked;
    }
    for (size_t i = 0; i < shown->count; i++) {
        json_object_set_new(object.get(), shown->fields[i].name,
                            json::string({shown->fields[i].value, shown->fields[i].value_len}));
    }
    return object;
}

// the same for what could not be taken apart: its string pairs as they are
json::Value raw_fields_as_json(const redisReply *fields)
{
    auto object = json::take(json_object());
    if (fields != nullptr && fields->type == REDIS_REPLY_ARRAY) {
        for (size_t i = 0; i + 1 < fields->elements; i += 2) {
            if (fields->element[i]->type == REDIS_REPLY_STRING
                && fields->element[i + 1]->type == REDIS_REPLY_STRING)
            {
                std::string key(reply_text(fields->element[i]));
                json_object_set_new(object.get(), key.c_str(),
                                    json::string(reply_text(fields->element[i + 1])));
            }
        }
    }
    return object;
}

// a packed event's own fields even when malformed; a whole entry that
// could not be taken apart, as it came
json::Value event_as_json(const EntryEvent &event)
{
    if (event.problem.empty() || event.index > 0) return fields_as_json(event.fields);
    return raw_fields_as_json(event.entry->element[1]);
}

}  // namespace

// names point into the reply, whose strings hiredis NUL-terminates
bool to_stream_entry(const redisReply *fields, analytics_stream_entry &entry)
{
    entry.count = 0;
    if (fields == nullptr || fields->type != REDIS_REPLY_ARRAY || fields->elements % 2 != 0) {
        return false;
    }
    for (size_t i = 0; i + 1 < fields->elements; i += 2) {
        if (fields->element[i]->type != REDIS_REPLY_STRING || fields->element[i + 1]->type != REDIS_REPLY_STRING) {
            return false;
        }
        analytics_stream_entry_add(&entry, fields->element[i]->str, fields->element[i + 1]->str,
                                   fields->element[i + 1]->len);
    }
    return true;
}


std::string EntryEvent::reject_id() const
{
    std::string id(entry_id);
    if (index > 0) id += "/" + std::to_string(index);
    return id;
}

std::vector<EntryEvent> events_of(const redisReply *item)
{
    std::vector<EntryEvent> events;
    const redisReply *fields = item->element[1];
    std::string_view id(item->element[0]->str, item->element[0]->len);
    auto whole = [&](const char *problem) {
        EntryEvent &event = events.emplace_back();
        event.entry = item;
        event.entry_id = id;
        if (problem != nullptr) {
            event.problem = problem;
        } else if (!to_stream_entry(fields, event.fields)) {
            event.problem = "fields are not string pairs";
        }
    };
    if (fields == nullptr || fields->type != REDIS_REPLY_ARRAY || fields->elements < 2
        || fields->element[1]->type != REDIS_REPLY_STRING || std::string_view(fields->element[1]->str, fields->element[1]->len) != "3"
        || fields->element[0]->type != REDIS_REPLY_STRING || std::string_view(fields->element[0]->str, fields->element[0]->len) != "v")
    {
        whole(nullptr);
        return events;
    }

    // version 3: the events of one batch of the module's calls
    std::vector<analytics_stream_field> packed;
    packed.reserve(fields->elements / 2);
    for (size_t i = 2; i < fields->elements; i += 2) {
        if (i + 1 >= fields->elements || fields->element[i]->type != REDIS_REPLY_STRING
            || fields->element[i + 1]->type != REDIS_REPLY_STRING)
        {
            whole("fields are not string pairs");
            return events;
        }
        packed.push_back({fields->element[i]->str, fields->element[i + 1]->str, fields->element[i + 1]->len});
    }
    if (packed.empty()) {
        whole("a version 3 entry without events");
        return events;
    }
    size_t pos = 0;
    for (size_t n = 1;; n++) {
        EntryEvent event;
        const char *problem = nullptr;
        int found = analytics_stream_packed_next(packed.data(), packed.size(), &pos, &event.fields, &problem);
        if (found == 0) break;
        event.entry = item;
        event.entry_id = id;
        event.index = n;
        if (found < 0) event.problem = problem;
        events.push_back(std::move(event));
    }
    return events;
}

std::optional<IncomingEvent> decode_incoming(const EntryEvent &event, std::string &problem)
{
    if (!event.problem.empty()) {
        problem = event.problem;
        return std::nullopt;
    }
    return decode_entry(event.fields, event.entry_id, problem);
}

Reject reject_of(const EntryEvent &event, const std::string &problem)
{
    return Reject{event.reject_id(), json::dump(event_as_json(event).get()), problem};
}

std::vector<Reject> rejects_of(const redisReply *entry, const std::string &problem)
{
    std::vector<Reject> rejects;
    for (const auto &part : events_of(entry)) rejects.push_back(reject_of(part, problem));
    return rejects;
}

DecodedEntries decode_entries(const std::vector<const redisReply *> &entries)
{
    DecodedEntries decoded;
    decoded.events.reserve(entries.size());
    for (const redisReply *item : entries) {
        for (const auto &part : events_of(item)) {
            std::string problem;
            if (auto event = decode_incoming(part, problem)) {
                decoded.events.push_back(std::move(*event));
            } else {
                decoded.rejects.push_back(reject_of(part, problem));
            }
        }
    }
    return decoded;
}

void trash_or_hand_back(EventBatchWriter &writer, postgres::Connection &db, const EntryEvent &event,
                        const std::string &problem, BatchResult &result, std::vector<Unkept> &unkept)
{
    try {
        postgres::Transaction tx(db);
        writer.keep_rejects(db, {reject_of(event, problem)});
        tx.commit();
        result.rejected++;
    } catch (const postgres::Error &e) {
        if (!e.is_data_error() || !db.ok()) throw;
        unkept.push_back({event.entry, event.reject_id(), problem + "; the trash refused it too: " + e.what()});
    }
}

BatchResult write_one_by_one(EventBatchWriter &writer, postgres::Connection &db,
                             const std::vector<const redisReply *> &entries, std::vector<Unkept> &unkept)
{
    BatchResult total;
    for (const redisReply *entry : entries) {
        for (const auto &part : events_of(entry)) {
            std::string problem;
            auto event = decode_incoming(part, problem);
            if (!event) {
                trash_or_hand_back(writer, db, part, problem, total, unkept);
                continue;
            }
            try {
                std::vector<IncomingEvent> one;
                one.push_back(std::move(*event));
                total += writer.write(db, std::move(one));
            } catch (const postgres::Error &e) {
                if (!e.is_data_error() || !db.ok()) throw;
                trash_or_hand_back(writer, db, part, std::string("PostgreSQL refused the entry: ") + e.what(), total,
                                   unkept);
            }
        }
    }
    return total;
}

}  // namespace analytics::ingest
