// One stream entry decoded and checked, with what the tables need computed
// once: when it happened, its value, and for an interaction its source.
// Views point into the XREADGROUP reply, which must outlive the event.
#pragma once

#include "stream_entry.h"
#include "traffic_source.h"

#include <hiredis/hiredis.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace analytics::ingest {

struct IncomingEvent {
    analytics_stream_event fields;   // as the module encoded them
    std::string_view stream_id;
    int64_t occurred_ms = 0;         // a conversion's own timestamp, else received_at
    bool is_interaction = false;

    // a conversion's money and transaction, from the module's metadata
    int64_t value_minor = 0;
    std::string currency;
    std::string transaction_id;
    // an order mark's session
    std::string order_session;
    // a funnel/track call: the token's subject, the steps, and the onboarding state
    std::string subject;
    std::vector<std::string> steps;
    std::string domain_path;     // "" when not sent
    std::optional<bool> closed_early;
    // a Webmarketer event: its data, the metadata of its events row once
    // it passed its event type (the entry's metadata is the body as sent)
    std::string project_data;
    // an interaction's classification and where it landed from
    analytics_traffic_source source{};
    std::string landing_page;
    std::string referrer;
    // an offline interaction's user, stitched by identity, or a Webmarketer
    // event's user ("" for none)
    std::string user_id;

    std::string_view id() const { return {fields.id, fields.id_len}; }
    std::string_view kind() const { return {fields.kind, fields.kind_len}; }
    std::string_view type() const { return {fields.type, fields.type_len}; }
    std::string_view country() const { return fields.country_len == 2 ? std::string_view(fields.country, 2) : ""; }
    std::string_view visitor() const { return {fields.visitor, fields.visitor_len}; }
    std::string_view metadata() const
    {
        return project_data.empty() ? std::string_view(fields.metadata, fields.metadata_len) : project_data;
    }
    std::string_view body() const { return {fields.metadata, fields.metadata_len}; }
    bool is_project_event() const { return kind() == "project_event"; }
};

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

// the same for an entry made here (POST /api/v1/events/sync); the event's
// views point into what entry's fields point to, which must outlive it
std::optional<IncomingEvent> decode_entry(const analytics_stream_entry &entry, std::string_view stream_id,
                                          std::string &problem);

}  // namespace analytics::ingest
