#include "stream_entry.h"
#include "decimal.h"

#include <string.h>

void
analytics_outgoing_event_init(analytics_outgoing_event *event, analytics_event_kind kind,
    uint64_t received_at_ms, const unsigned char random[10])
{
    memset(event, 0, sizeof(*event));
    event->kind = analytics_event_kind_name(kind);
    analytics_event_id_v7(received_at_ms, random, event->id);
    analytics_decimal(event->received_at, received_at_ms);
}

void
analytics_outgoing_event_occurred_at(analytics_outgoing_event *event, int64_t occurred_at_ms)
{
    event->has_occurred_at = occurred_at_ms >= 0;
    if (event->has_occurred_at) {
        analytics_decimal(event->occurred_at, (uint64_t) occurred_at_ms);
    }
}

void
analytics_outgoing_event_from_track(analytics_outgoing_event *event,
    const analytics_track_request *request)
{
    event->tenant_ref = request->tenant_ref;
    event->tenant_ref_len = request->tenant_ref_len;
    event->type = request->type;
    event->has_product_id = request->has_product_id;
    if (request->has_product_id) {
        if (request->product_id < 0) {
            event->product_id[0] = '-';
            analytics_decimal(event->product_id + 1, 0ULL - (uint64_t) request->product_id);
        } else {
            analytics_decimal(event->product_id, (uint64_t) request->product_id);
        }
    }
    event->metadata = request->metadata_json;
    event->metadata_len = request->metadata_json_len;
}

void
analytics_outgoing_event_from_conversion(analytics_outgoing_event *event,
    const analytics_conversion_request *request)
{
    event->tenant_ref = request->tenant_slug;
    event->tenant_ref_len = request->tenant_slug_len;
    event->type = request->event;
    event->metadata = request->metadata_json;
    event->metadata_len = request->metadata_json_len;
}

void
analytics_stream_entry_add(analytics_stream_entry *entry, const char *name,
    const char *value, size_t value_len)
{
    if (entry->count < ANALYTICS_STREAM_MAX_FIELDS) {
        entry->fields[entry->count].name = name;
        entry->fields[entry->count].value = value;
        entry->fields[entry->count].value_len = value_len;
        entry->count++;
    }
}

/* appends <len>:<bytes> to the header; 0 when it does not fit */
static int
analytics_header_add(analytics_outgoing_event *event, const char *value, size_t len)
{
    char    digits[24];
    size_t  n;

    n = analytics_decimal(digits, len);
    digits[n++] = ':';
    if (event->header_len + n + len > sizeof(event->header)) {
        return 0;
    }
    memcpy(event->header + event->header_len, digits, n);
    if (len > 0) {
        memcpy(event->header + event->header_len + n, value, len);
    }
    event->header_len += n + len;
    return 1;
}

static void
analytics_outgoing_event_encode_v1(const analytics_outgoing_event *event,
    analytics_stream_entry *entry)
{
    entry->count = 0;
    analytics_stream_entry_add(entry, "v", "1", 1);
    analytics_stream_entry_add(entry, "kind", event->kind, strlen(event->kind));
    analytics_stream_entry_add(entry, "id", event->id, ANALYTICS_UUID_TEXT_LEN);
    analytics_stream_entry_add(entry, "received_at", event->received_at,
                               strlen(event->received_at));
    analytics_stream_entry_add(entry, "tenant_ref", event->tenant_ref, event->tenant_ref_len);
    analytics_stream_entry_add(entry, "type", event->type, strlen(event->type));
    if (event->has_product_id) {
        analytics_stream_entry_add(entry, "product_id", event->product_id,
                                   strlen(event->product_id));
    }
    analytics_stream_entry_add(entry, "metadata", event->metadata, event->metadata_len);
    if (event->country != NULL && event->country_len > 0) {
        analytics_stream_entry_add(entry, "country", event->country, event->country_len);
    }
}

void
analytics_outgoing_event_encode(analytics_outgoing_event *event,
    analytics_stream_entry *entry)
{
    size_t  country_len;

    country_len = event->country != NULL ? event->country_len : 0;
    event->header_len = 0;
    if (!analytics_header_add(event, event->kind, strlen(event->kind))
        || !analytics_header_add(event, event->id, ANALYTICS_UUID_TEXT_LEN)
        || !analytics_header_add(event, event->received_at, strlen(event->received_at))
        || !analytics_header_add(event, event->tenant_ref, event->tenant_ref_len)
        || !analytics_header_add(event, event->type, strlen(event->type))
        || !analytics_header_add(event, event->product_id, event->has_product_id ? strlen(event->product_id) : 0)
        || !analytics_header_add(event, event->country, country_len))
    {
        analytics_outgoing_event_encode_v1(event, entry);
    } else {
        entry->count = 0;
        analytics_stream_entry_add(entry, "v", ANALYTICS_STREAM_ENCODING_VERSION,
                                   sizeof(ANALYTICS_STREAM_ENCODING_VERSION) - 1);
        analytics_stream_entry_add(entry, "h", event->header, event->header_len);
        analytics_stream_entry_add(entry, "metadata", event->metadata, event->metadata_len);
    }
    /* either version: read by its name */
    if (event->has_occurred_at) {
        analytics_stream_entry_add(entry, "occurred_at", event->occurred_at, strlen(event->occurred_at));
    }
}

const analytics_stream_field *
analytics_stream_entry_find(const analytics_stream_entry *entry, const char *name)
{
    size_t i;

    for (i = 0; i < entry->count; i++) {
        if (strcmp(entry->fields[i].name, name) == 0) {
            return &entry->fields[i];
        }
    }
    return NULL;
}

/* a decimal integer that fits int64, no sign unless allowed */
static int
analytics_parse_int64(const char *text, size_t len, int64_t *out)
{
    uint64_t value = 0;
    size_t   i;

    if (len == 0 || len > 18) {
        return -1;
    }
    for (i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9') {
            return -1;
        }
        value = value * 10 + (uint64_t) (text[i] - '0');
    }
    *out = (int64_t) value;
    return 0;
}

/* NULL when present, else the problem to report */
static const char *
analytics_required(const analytics_stream_entry *entry, const char *name,
    const char *problem, const char **value, size_t *len)
{
    const analytics_stream_field *field = analytics_stream_entry_find(entry, name);

    if (field == NULL || field->value_len == 0) {
        return problem;
    }
    *value = field->value;
    *len = field->value_len;
    return NULL;
}

int
analytics_stream_entry_unpack(const analytics_stream_entry *entry, analytics_stream_entry *unpacked,
    const char **problem)
{
    static const char *const      names[] = {"kind", "id", "received_at", "tenant_ref", "type",
                                             "product_id", "country"};
    const analytics_stream_field *header;
    const char                   *at, *end;
    size_t                        i, k, len;

    header = analytics_stream_entry_find(entry, "h");
    if (header == NULL) {
        *problem = "missing field: h";
        return -1;
    }
    unpacked->count = 0;
    for (i = 0; i < entry->count; i++) {
        if (strcmp(entry->fields[i].name, "h") != 0) {
            analytics_stream_entry_add(unpacked, entry->fields[i].name, entry->fields[i].value,
                                       entry->fields[i].value_len);
        }
    }

    at = header->value;
    end = header->value + header->value_len;
    for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
        len = 0;
        for (i = 0; at + i < end && at[i] >= '0' && at[i] <= '9' && i < 6; i++) {
            len = len * 10 + (size_t) (at[i] - '0');
        }
        if (i == 0 || at + i >= end || at[i] != ':' || len > (size_t) (end - (at + i + 1))) {
            *problem = "h is not a packed header";
            return -1;
        }
        at += i + 1;
        /* product_id and country are absent when empty, as in version 1 */
        if (len > 0 || k < 5) {
            if (unpacked->count == ANALYTICS_STREAM_MAX_FIELDS) {
                *problem = "too many fields";
                return -1;
            }
            analytics_stream_entry_add(unpacked, names[k], at, len);
        }
        at += len;
    }
    if (at != end) {
        *problem = "h is not a packed header";
        return -1;
    }
    return 0;
}

int
analytics_stream_packed_next(const analytics_stream_field *fields, size_t count,
    size_t *pos, analytics_stream_entry *event_entry, const char **problem)
{
    size_t  first, i;

    first = *pos;
    if (first >= count) {
        return 0;
    }
    for (i = first + 1; i < count && strcmp(fields[i].name, "h") != 0; i++) {
        /* void */
    }
    *pos = i;

    /* filled even for a bad event, as far as it fits, so that the trash can
     * show what it was */
    event_entry->count = 0;
    analytics_stream_entry_add(event_entry, "v", "2", 1);
    for (i = first; i < *pos; i++) {
        analytics_stream_entry_add(event_entry, fields[i].name, fields[i].value, fields[i].value_len);
    }
    if (strcmp(fields[first].name, "h") != 0) {
        *problem = "a packed event does not start with h";
        return -1;
    }
    if (*pos - first + 1 > ANALYTICS_STREAM_MAX_FIELDS) {
        *problem = "too many fields";
        return -1;
    }
    return 1;
}

int
analytics_stream_event_decode(const analytics_stream_entry *entry,
    analytics_stream_event *event, const char **problem)
{
    const analytics_stream_field *field;
    const char                   *text, *missing;
    size_t                        len, i;
    char                          c;
    analytics_stream_entry        unpacked;

    memset(event, 0, sizeof(*event));

    field = analytics_stream_entry_find(entry, "v");
    if (field == NULL || field->value_len != 1 || (field->value[0] != '1' && field->value[0] != '2')) {
        *problem = "unsupported encoding version";
        return -1;
    }
    if (field->value[0] == '2') {
        /* h's fields join the entry's others, and are checked as version 1's */
        if (analytics_stream_entry_unpack(entry, &unpacked, problem) != 0) {
            return -1;
        }
        entry = &unpacked;
    }

    if ((missing = analytics_required(entry, "id", "missing field: id", &event->id, &event->id_len))
        || (missing = analytics_required(entry, "kind", "missing field: kind", &event->kind, &event->kind_len))
        || (missing = analytics_required(entry, "tenant_ref", "missing field: tenant_ref", &event->tenant_ref,
                                         &event->tenant_ref_len))
        || (missing = analytics_required(entry, "type", "missing field: type", &event->type, &event->type_len))
        || (missing = analytics_required(entry, "metadata", "missing field: metadata", &event->metadata,
                                         &event->metadata_len)))
    {
        *problem = missing;
        return -1;
    }

    if (!analytics_uuid_is_valid(event->id, event->id_len)) {
        *problem = "id is not a UUID";
        return -1;
    }

    if (analytics_required(entry, "received_at", "", &text, &len)
        || analytics_parse_int64(text, len, &event->received_at_ms))
    {
        *problem = "received_at is not Unix milliseconds";
        return -1;
    }

    if (analytics_required(entry, "tenant_id", "", &text, &len)
        || analytics_parse_int64(text, len, &event->tenant_id))
    {
        *problem = "tenant_id is not a resolved tenant";
        return -1;
    }

    field = analytics_stream_entry_find(entry, "product_id");
    if (field != NULL) {
        if (analytics_parse_int64(field->value, field->value_len, &event->product_id)) {
            *problem = "product_id is not an integer";
            return -1;
        }
        event->has_product_id = 1;
    }

    field = analytics_stream_entry_find(entry, "occurred_at");
    if (field != NULL) {
        if (analytics_parse_int64(field->value, field->value_len, &event->occurred_at_ms)
            || event->occurred_at_ms < 0)
        {
            *problem = "occurred_at is not Unix milliseconds";
            return -1;
        }
        event->has_occurred_at = 1;
    }

    field = analytics_stream_entry_find(entry, "country");
    if (field != NULL) {
        event->country = field->value;
        event->country_len = field->value_len;
    }

    field = analytics_stream_entry_find(entry, "visitor");
    if (field != NULL) {
        for (i = 0; i < field->value_len; i++) {
            c = field->value[i];
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                break;
            }
        }
        if (field->value_len != 40 || i != 40) {
            *problem = "visitor is not a key";
            return -1;
        }
        event->visitor = field->value;
        event->visitor_len = field->value_len;
    }

    event->kind_code = analytics_event_kind_parse(event->kind, event->kind_len);
    if (event->kind_code == ANALYTICS_EVENT_KIND_UNKNOWN) {
        *problem = "unknown kind";
        return -1;
    }

    return 0;
}
