/*
 * The stream entry: how an accepted event crosses Redis from the module to the
 * aggregator. Field/value pairs, values as text. Version "1".
 *
 *   v            encoding version, "1"
 *   kind         "track"
 *   id           UUIDv7 given by the module
 *   received_at  Unix milliseconds when nginx received the request
 *   tenant_ref   the tenant as the client named it (uuid, slug or numeric id)
 *   tenant_id    the numeric tenant id, appended by the Redis function after lookup
 *   type         the event type
 *   product_id   optional integer
 *   metadata     a JSON object as text
 *   country      optional ISO 3166-1 alpha-2, from the configured variable
 */
#ifndef ANALYTICS_STREAM_ENTRY_H
#define ANALYTICS_STREAM_ENTRY_H

#include "event_id.h"
#include "track_request.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ANALYTICS_STREAM_ENCODING_VERSION "1"
#define ANALYTICS_STREAM_MAX_FIELDS 16

typedef struct {
    const char *name;
    const char *value;
    size_t      value_len;
} analytics_stream_field;

typedef struct {
    size_t                 count;
    analytics_stream_field fields[ANALYTICS_STREAM_MAX_FIELDS];
} analytics_stream_entry;

/* what the module knows about an accepted track request, with text buffers
 * the entry points into */
typedef struct {
    const analytics_track_request *request;
    char                           id[ANALYTICS_UUID_TEXT_LEN + 1];
    char                           received_at[24];
    char                           product_id[24];
    const char                    *country;     /* may be NULL */
    size_t                         country_len;
} analytics_track_event;

void analytics_track_event_init(analytics_track_event *event,
    const analytics_track_request *request, uint64_t received_at_ms,
    const unsigned char random[10]);

/* fills entry; it points into event and event->request */
void analytics_track_event_encode(const analytics_track_event *event,
    analytics_stream_entry *entry);

/* the decoded, checked form the aggregator writes */
typedef struct {
    const char *id;            size_t id_len;
    const char *kind;          size_t kind_len;
    const char *tenant_ref;    size_t tenant_ref_len;
    const char *type;          size_t type_len;
    const char *metadata;      size_t metadata_len;
    const char *country;       size_t country_len;   /* len 0 when absent */
    int64_t     tenant_id;
    int64_t     received_at_ms;
    int         has_product_id;
    int64_t     product_id;
} analytics_stream_event;

void analytics_stream_entry_add(analytics_stream_entry *entry, const char *name,
    const char *value, size_t value_len);

/* the value of field name, or NULL */
const analytics_stream_field *analytics_stream_entry_find(
    const analytics_stream_entry *entry, const char *name);

/* 0 on success; -1 with *problem naming what is wrong */
int analytics_stream_event_decode(const analytics_stream_entry *entry,
    analytics_stream_event *event, const char **problem);

#ifdef __cplusplus
}
#endif

#endif
