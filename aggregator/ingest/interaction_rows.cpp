#include "ingest/interaction_rows.h"
#include "postgres/connection.h"

#include "event_time.h"
#include "traffic_source.h"

#include <string_view>

namespace analytics::ingest {
namespace {

constexpr size_t kMaxUrlLength = 2048;   // longer URLs are kept cut, not refused

std::string_view first_string(json_t *metadata, std::initializer_list<const char *> keys)
{
    for (const char *key : keys) {
        json_t *value = json_object_get(metadata, key);
        if (json_is_string(value) && json_string_length(value) > 0) {
            return {json_string_value(value), json_string_length(value)};
        }
    }
    return {};
}

// cut at a character boundary: the text is valid UTF-8 (jansson checked it)
std::string_view cut(std::string_view text)
{
    if (text.size() <= kMaxUrlLength) return text;
    size_t end = kMaxUrlLength;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xc0) == 0x80) end--;
    return text.substr(0, end);
}

}  // namespace

const char *const kInteractionColumns =
    "tenant_id, event_id, occurred_at, visitor_key, kind, source, medium, campaign, direct, wmkt_id,"
    " campaign_slug, country, landing_page, referrer";

void append_interaction_row(std::string &rows, const analytics_stream_event &event, json_t *metadata)
{
    std::string_view landing = cut(first_string(metadata, {"url", "page_url", "landing_page"}));
    std::string_view referrer = cut(first_string(metadata, {"referrer", "referer"}));
    analytics_traffic_source source;
    analytics_traffic_source_classify(landing.data(), landing.size(), referrer.data(), referrer.size(), &source);

    char occurred_at[ANALYTICS_RFC3339_MS_LEN + 1];
    analytics_time_format_rfc3339_ms(event.received_at_ms, occurred_at);

    postgres::CopyRow(rows)
        .number(event.tenant_id)
        .text({event.id, event.id_len})
        .text(occurred_at)
        .text_or_null({event.visitor, event.visitor_len})
        .text({event.type, event.type_len})
        .text(source.source)
        .text(source.medium)
        .text(source.campaign)
        .boolean(source.direct)
        .text_or_null(source.wmkt_id)
        .text_or_null(source.campaign_slug)
        .text(event.country_len == 2 ? std::string_view(event.country, 2) : "")
        .text_or_null(landing)
        .text_or_null(referrer);
}

}  // namespace analytics::ingest
