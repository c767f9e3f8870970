#include "ingest/local_event.h"
#include "auth/digest.h"

#include "event_id.h"

#include <sys/random.h>

#include <chrono>
#include <cstring>
#include <stdexcept>

namespace analytics::ingest {

LocalEvent::LocalEvent(const std::string &origin, analytics_event_kind kind, int64_t tenant_id,
                       const std::string &tenant_ref, const std::string &type, const std::string &metadata,
                       const std::string &visitor)
    : origin_(origin), tenant_ref_(tenant_ref), type_(type), metadata_(metadata), visitor_(visitor)
{
    received_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
    unsigned char random[10];
    if (getrandom(random, sizeof(random), 0) != static_cast<ssize_t>(sizeof(random))) {
        throw std::runtime_error("getrandom failed");
    }
    char id[ANALYTICS_UUID_TEXT_LEN + 1];
    analytics_event_id_v7(static_cast<uint64_t>(received_ms_), random, id);
    id_ = id;

    // the fields as decoding a stream entry would set them, pointing into
    // this object's strings; then what the writer needs, as for every event
    IncomingEvent incoming;
    incoming.stream_id = origin_;
    analytics_stream_event &fields = incoming.fields;
    fields.id = id_.data();
    fields.id_len = id_.size();
    fields.kind_code = kind;
    fields.kind = analytics_event_kind_name(kind);
    fields.kind_len = strlen(fields.kind);
    fields.tenant_ref = tenant_ref_.data();
    fields.tenant_ref_len = tenant_ref_.size();
    fields.type = type_.data();
    fields.type_len = type_.size();
    fields.metadata = metadata_.data();
    fields.metadata_len = metadata_.size();
    fields.visitor = visitor_.data();
    fields.visitor_len = visitor_.size();
    fields.tenant_id = tenant_id;
    fields.received_at_ms = received_ms_;
    std::string problem;
    auto completed = complete_incoming(std::move(incoming), "", problem);
    if (!completed) throw std::runtime_error(std::string("a local ") + fields.kind + " is not an event: " + problem);
    event_ = std::move(*completed);
}

std::string tracker_visitor_key(int64_t tenant_id, const std::string &tracker_id)
{
    return auth::hex_digest(EVP_sha1(), std::to_string(tenant_id) + "\ntracker\n" + tracker_id);
}

}  // namespace analytics::ingest
