#include "ingest/copy_rows.h"
#include "postgres/connection.h"


namespace analytics::ingest {

const char *const kEventColumns =
    "tenant_id, id, received_at, kind, type, product_id, metadata, country, visitor_key, stream_id";
const char *const kConversionColumns =
    "tenant_id, transaction_id, event_id, received_at, occurred_at, event, value_minor, currency";
const char *const kInteractionColumns =
    "tenant_id, event_id, occurred_at, visitor_key, kind, source, medium, campaign, direct, wmkt_id,"
    " campaign_slug, country, landing_page, referrer, user_id";

void append_event_row(std::string &rows, const IncomingEvent &event)
{
    postgres::BinaryCopyRow row(rows, 10);
    row.int8(event.fields.tenant_id)
        .uuid(event.id())
        .timestamptz(event.fields.received_at_ms)
        .text(event.kind_name())
        .text(event.type());
    if (event.fields.has_product_id) {
        row.int8(event.fields.product_id);
    } else {
        row.null();
    }
    row.jsonb(event.metadata()).text_or_null(event.country()).text_or_null(event.visitor()).text(event.stream_id);
}

void append_conversion_row(std::string &rows, const IncomingEvent &event)
{
    postgres::BinaryCopyRow(rows, 8)
        .int8(event.fields.tenant_id)
        .text(event.transaction_id)
        .uuid(event.id())
        .timestamptz(event.fields.received_at_ms)
        .timestamptz(event.occurred_ms)
        .text(event.type())
        .int8(event.value_minor)
        .text(event.currency);
}

void append_interaction_row(std::string &rows, const IncomingEvent &event)
{
    postgres::BinaryCopyRow(rows, 15)
        .int8(event.fields.tenant_id)
        .uuid(event.id())
        .timestamptz(event.occurred_ms)
        .text_or_null(event.visitor())
        .text(event.type())
        .text(event.source.source)
        .text(event.source.medium)
        .text(event.source.campaign)
        .boolean(event.source.direct)
        .text_or_null(event.source.wmkt_id)
        .text_or_null(event.source.campaign_slug)
        .text(event.country())
        .text_or_null(event.landing_page)
        .text_or_null(event.referrer)
        .uuid_or_null(event.user_id);
}

}  // namespace analytics::ingest
