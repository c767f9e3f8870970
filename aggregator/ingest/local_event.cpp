#include "ingest/local_event.h"
#include "auth/digest.h"

#include "event_id.h"
#include "stream_entry.h"

#include <sys/random.h>

#include <chrono>
#include <stdexcept>

namespace analytics::ingest {

LocalEvent::LocalEvent(const std::string &origin, const std::string &kind, int64_t tenant_id,
                       const std::string &tenant_ref, const std::string &type, const std::string &metadata,
                       const std::string &visitor)
    : origin_(origin), kind_(kind), tenant_ref_(tenant_ref), type_(type), metadata_(metadata), visitor_(visitor)
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
    received_at_ = std::to_string(received_ms_);
    tenant_id_ = std::to_string(tenant_id);

    analytics_stream_entry entry{};
    auto add = [&entry](const char *name, const std::string &value) {
        analytics_stream_entry_add(&entry, name, value.data(), value.size());
    };
    // never in Redis: version 1's fields, one each, need no packing
    static const std::string version = "1";
    add("v", version);
    add("kind", kind_);
    add("id", id_);
    add("received_at", received_at_);
    add("tenant_ref", tenant_ref_);
    add("type", type_);
    add("metadata", metadata_);
    add("tenant_id", tenant_id_);
    if (!visitor_.empty()) add("visitor", visitor_);
    std::string problem;
    auto decoded = decode_entry(entry, origin_, problem);
    if (!decoded) throw std::runtime_error("a local " + kind + " does not decode: " + problem);
    event_ = std::move(*decoded);
}

std::string tracker_visitor_key(int64_t tenant_id, const std::string &tracker_id)
{
    return auth::hex_digest(EVP_sha1(), std::to_string(tenant_id) + "\ntracker\n" + tracker_id);
}

}  // namespace analytics::ingest
