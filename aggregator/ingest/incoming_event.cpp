#include "ingest/incoming_event.h"
#include "json.h"

#include "event_time.h"

namespace analytics::ingest {
namespace {

constexpr size_t kMaxUrlLength = 2048;   // longer URLs are kept cut, not refused

std::string_view first_string(json_t *object, std::initializer_list<const char *> keys)
{
    for (const char *key : keys) {
        json_t *value = json_object_get(object, key);
        if (json_is_string(value) && json_string_length(value) > 0) {
            return {json_string_value(value), json_string_length(value)};
        }
    }
    return {};
}

// cut at a character boundary: the text is valid UTF-8 (jansson checked it)
std::string cut_url(std::string_view text)
{
    if (text.size() <= kMaxUrlLength) return std::string(text);
    size_t end = kMaxUrlLength;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xc0) == 0x80) end--;
    return std::string(text.substr(0, end));
}

}  // namespace

std::optional<IncomingEvent> decode_entry(const analytics_stream_entry &entry, std::string_view stream_id,
                                          std::string &problem)
{
    IncomingEvent incoming;
    incoming.stream_id = stream_id;

    const char *reason = "";
    if (analytics_stream_event_decode(&entry, &incoming.fields, &reason) != 0) {
        problem = reason;
        return std::nullopt;
    }
    const analytics_stream_field *subject = analytics_stream_entry_find(&entry, "subject");
    return complete_incoming(std::move(incoming), subject ? std::string_view(subject->value, subject->value_len) : "",
                             problem);
}

std::optional<IncomingEvent> complete_incoming(IncomingEvent incoming, std::string_view subject, std::string &problem)
{
    analytics_event_kind kind = incoming.kind();
    auto metadata = json::parse(incoming.metadata());
    if (!metadata || !json_is_object(metadata->get())) {
        problem = "metadata is not a JSON object";
        return std::nullopt;
    }
    json_t *object = metadata->get();
    incoming.occurred_ms = incoming.fields.has_occurred_at ? incoming.fields.occurred_at_ms
                                                           : incoming.fields.received_at_ms;
    if (kind == ANALYTICS_EVENT_KIND_PROJECT_EVENT) {
        incoming.project_body = std::shared_ptr<json_t>(metadata->release(), json_decref);
        return incoming;
    }

    if (kind == ANALYTICS_EVENT_KIND_CONVERSION) {
        std::string_view occurred = first_string(object, {"occurred_at"});
        int64_t ms = 0;
        if (!occurred.empty() && analytics_time_parse_iso8601(occurred.data(), occurred.size(), &ms) == 0) {
            incoming.occurred_ms = ms;
        }
        json_t *value = json_object_get(object, "value_minor");
        if (json_is_integer(value) && json_integer_value(value) >= 0) incoming.value_minor = json_integer_value(value);
        incoming.currency = first_string(object, {"currency"});
        incoming.transaction_id = first_string(object, {"transaction_id"});
    } else if (kind == ANALYTICS_EVENT_KIND_ORDER_TRACKED) {
        incoming.order_session = first_string(object, {"order_session"});
    } else if (kind == ANALYTICS_EVENT_KIND_FUNNEL_STEP) {
        if (subject.empty()) {
            problem = "a funnel step without its token's subject";
            return std::nullopt;
        }
        incoming.subject = subject;
        size_t i;
        json_t *step;
        json_array_foreach(json_object_get(object, "steps"), i, step) {
            if (json_is_string(step)) incoming.steps.emplace_back(json_string_value(step));
        }
        incoming.domain_path = first_string(object, {"domain_path"});
        json_t *closed = json_object_get(object, "closed_early");
        if (json_is_boolean(closed)) incoming.closed_early = json_is_true(closed);
    } else if (kind == ANALYTICS_EVENT_KIND_INTERACTION) {
        incoming.is_interaction = true;
        incoming.landing_page = cut_url(first_string(object, {"url", "page_url", "landing_page"}));
        incoming.referrer = cut_url(first_string(object, {"referrer", "referer"}));
        analytics_traffic_source_classify(incoming.landing_page.data(), incoming.landing_page.size(),
                                          incoming.referrer.data(), incoming.referrer.size(), &incoming.source);
    }
    return incoming;
}

}  // namespace analytics::ingest
