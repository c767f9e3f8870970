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

// names point into the reply, whose strings hiredis NUL-terminates
bool to_stream_entry(const redisReply *fields, analytics_stream_entry &entry)
{
    entry.count = 0;
    if (fields == nullptr || fields->type != REDIS_REPLY_ARRAY || fields->elements % 2 != 0) {
        return false;
    }
    for (size_t i = 0; i + 1 < fields->elements; i += 2) {
        if (fields->element[i]->type != REDIS_REPLY_STRING || fields->element[i + 1]->type != REDIS_REPLY_STRING) {
            return false;
        }
        analytics_stream_entry_add(&entry, fields->element[i]->str, fields->element[i + 1]->str,
                                   fields->element[i + 1]->len);
    }
    return true;
}


std::string EntryEvent::reject_id() const
{
    std::string id(entry_id);
    if (index > 0) id += "/" + std::to_string(index);
    return id;
}

std::vector<EntryEvent> events_of(const redisReply *item)
{
    std::vector<EntryEvent> events;
    const redisReply *fields = item->element[1];
    std::string_view id(item->element[0]->str, item->element[0]->len);
    auto whole = [&](const char *problem) {
        EntryEvent &event = events.emplace_back();
        event.entry = item;
        event.entry_id = id;
        if (problem != nullptr) {
            event.problem = problem;
        } else if (!to_stream_entry(fields, event.fields)) {
            event.problem = "fields are not string pairs";
        }
    };
    if (fields == nullptr || fields->type != REDIS_REPLY_ARRAY || fields->elements < 2
        || fields->element[1]->type != REDIS_REPLY_STRING || std::string_view(fields->element[1]->str, fields->element[1]->len) != "3"
        || fields->element[0]->type != REDIS_REPLY_STRING || std::string_view(fields->element[0]->str, fields->element[0]->len) != "v")
    {
        whole(nullptr);
        return events;
    }

    // version 3: the events of one batch of the module's calls
    std::vector<analytics_stream_field> packed;
    packed.reserve(fields->elements / 2);
    for (size_t i = 2; i < fields->elements; i += 2) {
        if (i + 1 >= fields->elements || fields->element[i]->type != REDIS_REPLY_STRING
            || fields->element[i + 1]->type != REDIS_REPLY_STRING)
        {
            whole("fields are not string pairs");
            return events;
        }
        packed.push_back({fields->element[i]->str, fields->element[i + 1]->str, fields->element[i + 1]->len});
    }
    if (packed.empty()) {
        whole("a version 3 entry without events");
        return events;
    }
    size_t pos = 0;
    for (size_t n = 1;; n++) {
        EntryEvent event;
        const char *problem = nullptr;
        int found = analytics_stream_packed_next(packed.data(), packed.size(), &pos, &event.fields, &problem);
        if (found == 0) break;
        event.entry = item;
        event.entry_id = id;
        event.index = n;
        if (found < 0) event.problem = problem;
        events.push_back(std::move(event));
    }
    return events;
}

std::optional<IncomingEvent> decode_incoming(const EntryEvent &event, std::string &problem)
{
    if (!event.problem.empty()) {
        problem = event.problem;
        return std::nullopt;
    }
    return decode_entry(event.fields, event.entry_id, problem);
}

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
    auto kind = incoming.kind();
    if (kind != "track" && kind != "conversion" && kind != "interaction" && kind != "order_tracked"
        && kind != "funnel_step" && kind != "project_event")
    {
        problem = "unknown kind";
        return std::nullopt;
    }
    auto metadata = json::parse(incoming.metadata());
    if (!metadata || !json_is_object(metadata->get())) {
        problem = "metadata is not a JSON object";
        return std::nullopt;
    }
    json_t *object = metadata->get();
    incoming.occurred_ms = incoming.fields.received_at_ms;

    if (kind == "conversion") {
        std::string_view occurred = first_string(object, {"occurred_at"});
        int64_t ms = 0;
        if (!occurred.empty() && analytics_time_parse_rfc3339(occurred.data(), occurred.size(), &ms) == 0) {
            incoming.occurred_ms = ms;
        }
        json_t *value = json_object_get(object, "value_minor");
        if (json_is_integer(value) && json_integer_value(value) >= 0) incoming.value_minor = json_integer_value(value);
        incoming.currency = first_string(object, {"currency"});
        incoming.transaction_id = first_string(object, {"transaction_id"});
    } else if (kind == "order_tracked") {
        incoming.order_session = first_string(object, {"order_session"});
    } else if (kind == "funnel_step") {
        const analytics_stream_field *subject = analytics_stream_entry_find(&entry, "subject");
        if (subject == nullptr || subject->value_len == 0) {
            problem = "a funnel step without its token's subject";
            return std::nullopt;
        }
        incoming.subject.assign(subject->value, subject->value_len);
        size_t i;
        json_t *step;
        json_array_foreach(json_object_get(object, "steps"), i, step) {
            if (json_is_string(step)) incoming.steps.emplace_back(json_string_value(step));
        }
        incoming.domain_path = first_string(object, {"domain_path"});
        json_t *closed = json_object_get(object, "closed_early");
        if (json_is_boolean(closed)) incoming.closed_early = json_is_true(closed);
    } else if (kind == "interaction") {
        incoming.is_interaction = true;
        incoming.landing_page = cut_url(first_string(object, {"url", "page_url", "landing_page"}));
        incoming.referrer = cut_url(first_string(object, {"referrer", "referer"}));
        analytics_traffic_source_classify(incoming.landing_page.data(), incoming.landing_page.size(),
                                          incoming.referrer.data(), incoming.referrer.size(), &incoming.source);
    }
    return incoming;
}

}  // namespace analytics::ingest
