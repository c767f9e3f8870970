/*
 * The stream entry: how an accepted event crosses Redis from the module to the
 * aggregator. Field/value pairs, values as text.
 *
 * Version "2" (what the module writes): v, h, metadata (then what the Redis
 * function appends: tenant_id, visitor, subject). h packs the small fields
 * of version 1 in this order, each as <decimal length>:<bytes>: kind, id,
 * received_at, tenant_ref, type, product_id, country (the last two empty
 * when absent). Every field of an entry costs Redis (the function's
 * arguments, the listpack, the AOF) and the aggregator (a reply object) more
 * than its bytes do, so the fixed ones travel as one.
 *
 * Version "3" (what the Redis function writes for the calls of one batch,
 * one XADD for all of them): v, then each event's version 2 fields after its
 * v (h first) and what the function appends to them. An event runs from its h
 * to the next h. The events share the entry's id; the aggregator acknowledges
 * the entry once all of them are stored.
 *
 * Version "1" (still read, written when h would not fit its buffer), one field each:
 *
 *   v            encoding version, "1"
 *   kind         an analytics_event_kind's name (event_kind.h)
 *   id           UUIDv7 given by the module
 *   received_at  Unix milliseconds when nginx received the request
 *   tenant_ref   the tenant as the client named it (uuid, slug or numeric id;
 *                a conversion names it by slug)
 *   tenant_id    the numeric tenant id, appended by the Redis function after lookup
 *   type         the event type
 *   product_id   optional integer
 *   metadata     a JSON object as text; for a conversion: transaction_id,
 *                value_minor, currency, event[, occurred_at]
 *   country      optional ISO 3166-1 alpha-2, from the configured variable
 *   visitor      the day's visitor key (40 hex digits), appended by the Redis
 *                function; the client's address itself never enters the stream
 *
 * Versions 1 and 2 may carry, last:
 *
 *   occurred_at  Unix milliseconds when the event happened, when its client
 *                said so (a batch's timestamp, corrected for the client's
 *                clock); without it an event happened when it was received
 */
#ifndef ANALYTICS_STREAM_ENTRY_H
#define ANALYTICS_STREAM_ENTRY_H

#include "event_id.h"
#include "event_kind.h"
#include "conversion_request.h"
#include "track_request.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ANALYTICS_STREAM_ENCODING_VERSION "2"
#define ANALYTICS_STREAM_MAX_FIELDS 16
#define ANALYTICS_STREAM_HEADER_MAX 512

typedef struct {
    const char *name;
    const char *value;
    size_t      value_len;
} analytics_stream_field;

typedef struct {
    size_t                 count;
    analytics_stream_field fields[ANALYTICS_STREAM_MAX_FIELDS];
} analytics_stream_entry;

/* an accepted request on its way to the stream, with the text buffers the
 * entry points into */
typedef struct {
    char        id[ANALYTICS_UUID_TEXT_LEN + 1];
    char        received_at[24];
    char        product_id[24];
    const char *kind;          /* analytics_event_kind_name() */
    const char *tenant_ref;    size_t tenant_ref_len;
    const char *type;
    int         has_product_id;
    const char *metadata;      size_t metadata_len;
    const char *country;       size_t country_len;     /* country may be NULL */
    int         has_occurred_at;
    char        occurred_at[24];
    /* h, as analytics_outgoing_event_encode packs it */
    char        header[ANALYTICS_STREAM_HEADER_MAX];
    size_t      header_len;
} analytics_outgoing_event;

void analytics_outgoing_event_init(analytics_outgoing_event *event, analytics_event_kind kind,
    uint64_t received_at_ms, const unsigned char random[10]);
void analytics_outgoing_event_from_track(analytics_outgoing_event *event,
    const analytics_track_request *request);
void analytics_outgoing_event_from_conversion(analytics_outgoing_event *event,
    const analytics_conversion_request *request);
void analytics_outgoing_event_occurred_at(analytics_outgoing_event *event, int64_t occurred_at_ms);

/* fills entry (version 2, or 1 when h does not fit); it points into event
 * and what event points to */
void analytics_outgoing_event_encode(analytics_outgoing_event *event,
    analytics_stream_entry *entry);

/* the decoded, checked form the aggregator writes */
typedef struct {
    const char *id;            size_t id_len;
    const char *kind;          size_t kind_len;      /* its name, as the events table keeps it */
    analytics_event_kind kind_code;                  /* never UNKNOWN once decoded */
    const char *tenant_ref;    size_t tenant_ref_len;
    const char *type;          size_t type_len;
    const char *metadata;      size_t metadata_len;
    const char *country;       size_t country_len;   /* len 0 when absent */
    const char *visitor;       size_t visitor_len;   /* len 0 when absent */
    int64_t     tenant_id;
    int64_t     received_at_ms;
    int         has_occurred_at;
    int64_t     occurred_at_ms;
    int         has_product_id;
    int64_t     product_id;
} analytics_stream_event;

void analytics_stream_entry_add(analytics_stream_entry *entry, const char *name,
    const char *value, size_t value_len);

/* the value of field name, or NULL */
const analytics_stream_field *analytics_stream_entry_find(
    const analytics_stream_entry *entry, const char *name);

/* a version 2 entry with h's fields in its place, as version 1 has them
 * (views into entry's values); 0, or -1 with *problem */
int analytics_stream_entry_unpack(const analytics_stream_entry *entry,
    analytics_stream_entry *unpacked, const char **problem);

/* the next event of a version 3 entry: fields[*pos ..] (the entry's fields
 * after its v) up to the next h, as a version 2 entry in event_entry (views
 * into fields); 1 when there was one, 0 after the last, -1 with *problem when
 * the event is malformed (event_entry then holds what of it fits, for the
 * trash). *pos moves to the next event's h in every case, so one bad event
 * does not take its neighbours with it. */
int analytics_stream_packed_next(const analytics_stream_field *fields, size_t count,
    size_t *pos, analytics_stream_entry *event_entry, const char **problem);

/* 0 on success (versions 1 and 2); -1 with *problem naming what is wrong
 * (a kind event_kind.h does not list is "unknown kind") */
int analytics_stream_event_decode(const analytics_stream_entry *entry,
    analytics_stream_event *event, const char **problem);

#ifdef __cplusplus
}
#endif

#endif
