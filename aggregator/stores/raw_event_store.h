// Webmarketer events as they were sent (raw_events), one per (project,
// nonce), and the project's trash: those that failed their event type, with
// every reason (trashed_events). The ingest writer fills both.
#pragma once

#include "stores/list_query.h"

#include "postgres/connection.h"

#include <optional>
#include <string>
#include <vector>

namespace analytics::raw_events {

struct RawEvent {
    std::string id;   // uuid
    std::optional<std::string> nonce;
    std::string received_at;
    std::string body_json;   // as sent
};

struct TrashedEvent {
    RawEvent raw;
    std::string errors_json;   // [{field, message}, ...]
    std::string trashed_at;
};

std::optional<RawEvent> find(postgres::Connection &db, long long tenant_id, const std::string &id);
// the id kept for a (project, nonce)
std::optional<std::string> id_of_nonce(postgres::Connection &db, long long tenant_id, const std::string &nonce);
// newest first, received within [since, until] (either may be open)
stores::Listed<TrashedEvent> trashed(postgres::Connection &db, long long tenant_id, const postgres::Param &since,
                                     const postgres::Param &until, stores::Window window);

}  // namespace analytics::raw_events
