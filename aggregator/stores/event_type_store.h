// A project's Webmarketer event types: the fields each event of the type
// carries (their storage keys, types and kinds), its metadata and its
// expiration policy, addressed by reference within the project.
#pragma once

#include "stores/list_query.h"

#include "postgres/connection.h"

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace analytics::event_types {

struct EventType {
    std::string id;   // uuid
    std::string created_at, updated_at;
    std::optional<std::string> archived_at;
    std::string reference;
    std::string name;
    std::string fields_json;                       // a JSON array
    std::string metadata_json;                     // a JSON object
    std::optional<std::string> expiration_json;   // a JSON object
};

// what a PATCH changes; nullopt keeps the stored value
struct EventTypeChanges {
    std::optional<std::string> name;
    std::optional<std::string> fields_json;
    std::optional<std::string> metadata_json;
    bool expiration_given = false;        // then expiration_json replaces it (nullopt clears it)
    postgres::Param expiration_json;
};

// a list's filters; nullopt is no filter
struct EventTypeFilter {
    postgres::Param archived;      // "true" or "false"; absent: the live ones
    postgres::Param search;        // in name or reference
    postgres::Param storage_key;   // has a field of this key
    postgres::Param reference;
};

// the fields a list sorts by, as the API names them ("name,-createdAt"),
// in ORDER BY terms; nullopt for one it does not know
std::optional<std::string> order_by(const std::string &sort);

stores::Listed<EventType> list(postgres::Connection &db, long long tenant_id, const EventTypeFilter &filter,
                               const std::string &order_terms, stores::Window window);
// nullopt when the project has a type of this reference
std::optional<EventType> create(postgres::Connection &db, long long tenant_id, const std::string &reference,
                                const std::string &name, const std::string &fields_json, const std::string &metadata_json,
                                const postgres::Param &expiration_json);
std::optional<EventType> find(postgres::Connection &db, long long tenant_id, const std::string &reference);
// nullopt when the project has no type of this reference
std::optional<EventType> update(postgres::Connection &db, long long tenant_id, const std::string &reference,
                                const EventTypeChanges &changes);
// archiving keeps the first archivedAt; archived types refuse new events
// (ingest trashes them) and leave the default list
std::optional<EventType> set_archived(postgres::Connection &db, long long tenant_id, const std::string &reference,
                                      bool archived);

// the references of the project's types not archived
std::vector<std::string> live_references(postgres::Connection &db, long long tenant_id);

// the storage keys of the identity fields of every type of the project
std::set<std::string> identity_fields(postgres::Connection &db, long long tenant_id);

}  // namespace analytics::event_types
