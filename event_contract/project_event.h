/*
 * A Webmarketer event (webmarketer-api: POST /api/v1/events, asynchronous,
 * and POST /api/v1/events/sync): the envelope (projectId, eventType,
 * eventDate, trackerId, nonce, data) and its data checked against the
 * fields of the project's event type.
 *
 * The module only needs the envelope (the body must be a JSON object; the
 * project and trackerId give the tenant and the visitor); the aggregator
 * checks everything and trashes an event that fails with every reason.
 */
#ifndef ANALYTICS_PROJECT_EVENT_H
#define ANALYTICS_PROJECT_EVENT_H

#include "json_body.h"
#include "validation_errors.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ANALYTICS_NONCE_MAX_LEN       256
#define ANALYTICS_TRACKER_ID_MAX_LEN  256
#define ANALYTICS_EVENT_TYPE_MAX_LEN  64
#define ANALYTICS_STORAGE_KEY_MAX_LEN 64

typedef enum {
    ANALYTICS_FIELD_STRING = 0,
    ANALYTICS_FIELD_NUMBER,
    ANALYTICS_FIELD_BOOLEAN,
    ANALYTICS_FIELD_DATE           /* an RFC 3339 string */
} analytics_field_type;

typedef enum {
    ANALYTICS_FIELD_KIND_FIELD = 0,
    ANALYTICS_FIELD_KIND_STATE,     /* 0 or 1 (true or false) */
    ANALYTICS_FIELD_KIND_STATISTIC, /* a number, summed by reports */
    ANALYTICS_FIELD_KIND_IDENTITY   /* names the user; hashed before it is kept */
} analytics_field_kind;

/* one field of an event type, as event_types.fields holds it */
typedef struct {
    const char           *storage_key;
    analytics_field_type  type;
    analytics_field_kind  kind;
    int                   required;
} analytics_event_type_field;

typedef struct {
    void        *document;     /* the parsed body (json_t), owned */
    /* each NULL when absent or not of the envelope's shape (an error says why) */
    const char  *project_id;   size_t project_id_len;
    const char  *event_type;   size_t event_type_len;
    const char  *tracker_id;   size_t tracker_id_len;
    void        *data;         /* the data object (json_t) inside document */
    int          has_nonce;
    char         nonce[ANALYTICS_NONCE_MAX_LEN + 1];   /* a number is kept as its text */
    size_t       nonce_len;
    int          has_event_date;
    int64_t      event_date_ms;
    /* the "data.<storageKey>" names and messages errors point to */
    char         error_fields[ANALYTICS_MAX_VALIDATION_ERRORS][ANALYTICS_STORAGE_KEY_MAX_LEN + 8];
    char         error_messages[ANALYTICS_MAX_VALIDATION_ERRORS][ANALYTICS_STORAGE_KEY_MAX_LEN + 64];
    size_t       data_errors;
} analytics_project_event;

/*
 * ANALYTICS_BODY_MALFORMED (with problem) for a body that is not a JSON
 * object: the only thing the asynchronous endpoint refuses. Otherwise
 * ANALYTICS_BODY_OK, or ANALYTICS_BODY_INVALID with the envelope's errors.
 * Free the event in every case.
 */
analytics_body_status analytics_project_event_parse(const char *body, size_t len,
    analytics_project_event *event, analytics_validation_errors *errors,
    char *problem_buf, size_t problem_size);

/*
 * The same envelope rules on a body already loaded as a JSON object (a
 * json_t the event takes a reference to): the aggregator has read it from
 * the stream entry once already. ANALYTICS_BODY_OK or _INVALID; free the
 * event in every case.
 */
analytics_body_status analytics_project_event_check_document(void *root, analytics_project_event *event,
    analytics_validation_errors *errors);

/* adds an error for each field of the type the data breaks; returns how many */
size_t analytics_project_event_check_data(analytics_project_event *event,
    const analytics_event_type_field *fields, size_t n_fields,
    analytics_validation_errors *errors);

/* a value of a state field as 0 or 1; -1 when it is neither */
int analytics_project_event_state_value(const void *value);

void analytics_project_event_free(analytics_project_event *event);

/* "string" -> ANALYTICS_FIELD_STRING...; -1 for an unknown name */
int analytics_field_type_from_name(const char *name);
int analytics_field_kind_from_name(const char *name);

#ifdef __cplusplus
}
#endif

#endif
