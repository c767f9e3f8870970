// One event decoded and checked, with what the tables need computed once:
// when it happened, its value, and for an interaction its source. Views
// point into what it was decoded from (the XREADGROUP reply, or a
// LocalEvent), which must outlive it.
#pragma once

#include "stream_entry.h"
#include "traffic_source.h"

#include <jansson.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace analytics::ingest {

struct IncomingEvent {
    analytics_stream_event fields{};   // as the module encoded them; zero for what a local event leaves unset
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
    // a Webmarketer event's body as complete_incoming loaded it, so that
    // it is parsed once (shared: a batch may be retried one by one)
    std::shared_ptr<json_t> project_body;
    // an interaction's classification and where it landed from
    analytics_traffic_source source{};
    std::string landing_page;
    std::string referrer;
    // an offline interaction's user, stitched by identity, or a Webmarketer
    // event's user ("" for none)
    std::string user_id;

    std::string_view id() const { return {fields.id, fields.id_len}; }
    analytics_event_kind kind() const { return fields.kind_code; }
    std::string_view kind_name() const { return {fields.kind, fields.kind_len}; }
    std::string_view type() const { return {fields.type, fields.type_len}; }
    std::string_view country() const { return fields.country_len == 2 ? std::string_view(fields.country, 2) : ""; }
    std::string_view visitor() const { return {fields.visitor, fields.visitor_len}; }
    std::string_view metadata() const
    {
        return project_data.empty() ? std::string_view(fields.metadata, fields.metadata_len) : project_data;
    }
    std::string_view body() const { return {fields.metadata, fields.metadata_len}; }
    bool is_project_event() const { return kind() == ANALYTICS_EVENT_KIND_PROJECT_EVENT; }
};

// An entry's one event (versions 1 and 2), checked, with what the tables
// need computed; the event's views point into what entry's fields point
// to, which must outlive it. nullopt with problem naming what is wrong.
std::optional<IncomingEvent> decode_entry(const analytics_stream_entry &entry, std::string_view stream_id,
                                          std::string &problem);

// What the tables need of an event whose fields are set, computed once from
// its metadata: when it happened, its money, an order's session, a funnel
// call's steps (subject: the token's subject), an interaction's source.
// nullopt with problem when the metadata is not a JSON object or a funnel
// step has no subject.
std::optional<IncomingEvent> complete_incoming(IncomingEvent incoming, std::string_view subject, std::string &problem);

// what the trash (stream_rejects) keeps of an event refused
struct Reject {
    std::string stream_id;     // the entry's id, "<id>/<n>" for a packed event
    std::string fields_json;   // its fields as a JSON object
    std::string problem;
};

}  // namespace analytics::ingest
