// An event the aggregator makes itself (a synchronous Webmarketer event, an
// offline interaction), with the fields a decoded stream entry has and what
// the writer needs computed the same way (complete_incoming), so that the
// batch writer stores it the one way it stores every event. It owns the
// texts the event points into, so it neither copies nor moves.
#pragma once

#include "ingest/incoming_event.h"

#include <cstdint>
#include <string>

namespace analytics::ingest {

class LocalEvent {
public:
    // origin stands in for the stream id ("sync", "offline"); visitor: a
    // visitor key, or "" for none
    LocalEvent(const std::string &origin, analytics_event_kind kind, int64_t tenant_id, const std::string &tenant_ref,
               const std::string &type, const std::string &metadata, const std::string &visitor);
    LocalEvent(const LocalEvent &) = delete;
    LocalEvent &operator=(const LocalEvent &) = delete;

    const std::string &id() const { return id_; }
    int64_t received_ms() const { return received_ms_; }
    // the decoded event; valid while this lives
    IncomingEvent &event() { return event_; }

private:
    std::string origin_, id_, tenant_ref_, type_, metadata_, visitor_;
    int64_t received_ms_ = 0;
    IncomingEvent event_;
};

// sha1("<tenant id>\ntracker\n<trackerId>"): the visitor key the module's Redis
// function gives a trackerId, so the event meets the tracker's interactions
std::string tracker_visitor_key(int64_t tenant_id, const std::string &tracker_id);

}  // namespace analytics::ingest
