// Webmarketer events on their way in: each checked against its project's
// event type (event_contract/project_event.h), kept once per (project,
// nonce) in raw_events, and, when it fails, kept in trashed_events with
// every reason instead of going on to events.
#pragma once

#include "ingest/incoming_event.h"
#include "postgres/connection.h"

#include "project_event.h"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace analytics::ingest {

// one event type's fields in the contract's plain form
class EventTypeSchema {
public:
    EventTypeSchema(std::string_view id, std::string_view fields_json, bool archived);
    EventTypeSchema(const EventTypeSchema &) = delete;
    EventTypeSchema &operator=(const EventTypeSchema &) = delete;

    bool archived() const { return archived_; }
    const std::string &id() const { return id_; }
    const std::vector<analytics_event_type_field> &fields() const { return fields_; }

private:
    std::vector<std::string> keys_;   // what fields_ point to: a schema never moves
    std::vector<analytics_event_type_field> fields_;
    bool archived_;
    std::string id_;
};

// the event types a set of events name, read in one query
class EventTypeSchemas {
public:
    void load(postgres::Connection &db, const std::vector<std::pair<int64_t, std::string>> &wanted);
    // nullptr when the project has no type of that reference
    const EventTypeSchema *find(int64_t tenant_id, std::string_view reference) const;

private:
    std::map<std::pair<int64_t, std::string>, EventTypeSchema, std::less<>> schemas_;
};

// a state's or statistic's value as the event brought it
struct EventMetric {
    std::string storage_key;
    std::string kind;   // "state" or "statistic"
    double value = 0;
};

struct ProjectEventCheck {
    std::vector<std::pair<std::string, std::string>> errors;   // field, message
    std::string data;              // the data object as JSON text
    std::string nonce;             // "" when there is none usable
    std::string event_type;
    std::string tracker_id;
    std::optional<int64_t> event_date_ms;
    // once valid: its type's id, its states and statistics, and what names
    // its user (kind, value as it will be hashed)
    std::string event_type_id;
    std::vector<EventMetric> metrics;
    std::vector<std::pair<std::string, std::string>> identities;

    bool valid() const { return errors.empty(); }
    std::string errors_json() const;
};

// body: the event as sent; schemas must hold its project's types
ProjectEventCheck check_project_event(std::string_view body, int64_t tenant_id, const EventTypeSchemas &schemas);
// the same for a body the stream consumer has loaded already (a JSON object)
ProjectEventCheck check_project_event(json_t *body, int64_t tenant_id, const EventTypeSchemas &schemas);

// In the caller's transaction: keeps each project event of events as sent,
// once per (project, nonce) and per id; trashes the invalid ones with their
// reasons; and leaves in events only what should become rows of events
// (the other kinds, and the project events that are new and valid, with
// their data as metadata). Returns how many were trashed.
size_t admit_project_events(postgres::Connection &db, std::vector<IncomingEvent> &events);

// an identity field's value as it is hashed: without surrounding blanks,
// ASCII letters lower-cased (an email typed in capitals is the same person)
std::string normalized_identity(std::string text);

// once per connection: the session's staging table for raw events
void prepare_project_events(postgres::Connection &db);

}  // namespace analytics::ingest
