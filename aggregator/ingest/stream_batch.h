// What one XREADGROUP gives the writer: the entries' events decoded, and
// what would not decode as rejects with the fields the trash keeps. The
// only part of ingest that reads hiredis replies; the batch writer sees
// decoded events only.
#pragma once

#include "ingest/event_batch_writer.h"
#include "ingest/incoming_event.h"
#include "postgres/connection.h"

#include <hiredis/hiredis.h>

#include <string>
#include <string_view>
#include <vector>

namespace analytics::ingest {

// the fields of one entry ([field, value, ...]) as the contract's plain
// pairs, pointing into the reply; false when it is not such a list
bool to_stream_entry(const redisReply *fields, analytics_stream_entry &entry);

// One event of a stream entry, as its fields: the entry itself (versions 1
// and 2), or one event of a version 3 entry (a version 2 entry of views).
// Views point into the XREADGROUP reply.
struct EntryEvent {
    const redisReply *entry = nullptr;   // the [id, [field, value, ...]] element
    std::string_view entry_id;
    size_t index = 0;                    // 0: the whole entry; n: a version 3 entry's n-th event
    analytics_stream_entry fields{};
    std::string problem;                 // set when the fields could not be taken apart

    // its key in stream_rejects: the entry's id, "<id>/<n>" for a packed event
    std::string reject_id() const;
};

// item: an [id, [field, value, ...]] element of an XREADGROUP reply; its
// events in their order
std::vector<EntryEvent> events_of(const redisReply *item);

// On failure returns nullopt with problem naming what is wrong.
std::optional<IncomingEvent> decode_incoming(const EntryEvent &event, std::string &problem);

// what the trash keeps of an event that is refused for problem
Reject reject_of(const EntryEvent &event, const std::string &problem);

// every event of an entry refused for problem (an entry dead-lettered)
std::vector<Reject> rejects_of(const redisReply *entry, const std::string &problem);

// events point into the replies, which must outlive them
struct DecodedEntries {
    std::vector<IncomingEvent> events;
    std::vector<Reject> rejects;
};

DecodedEntries decode_entries(const std::vector<const redisReply *> &entries);

// an event neither events nor the trash would take (PostgreSQL refused
// both for their data: a NUL byte jsonb cannot hold): the consumer moves it
// to the dead-letter stream, so it never blocks its shard
struct Unkept {
    const redisReply *entry = nullptr;
    std::string reject_id;   // its id, "<id>/<n>" for a packed event
    std::string problem;
};

// trash (in a transaction of its own) what was refused for problem; what the
// trash refuses for its data goes to unkept instead. Server errors throw.
void trash_or_hand_back(EventBatchWriter &writer, postgres::Connection &db, const EntryEvent &event,
                        const std::string &problem, BatchResult &result, std::vector<Unkept> &unkept);

// after a batch failed on the data (not the server): each event (a
// version 3 entry holds several) in a transaction of its own, and one
// PostgreSQL refuses goes to stream_rejects with the error (or to unkept),
// so one bad event never blocks the rest
BatchResult write_one_by_one(EventBatchWriter &writer, postgres::Connection &db,
                             const std::vector<const redisReply *> &entries, std::vector<Unkept> &unkept);

}  // namespace analytics::ingest
