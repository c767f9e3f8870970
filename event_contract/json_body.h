/*
 * A request body as the JSON object every request parser reads, and the
 * verdict every parser gives on a body.
 */
#ifndef ANALYTICS_JSON_BODY_H
#define ANALYTICS_JSON_BODY_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    ANALYTICS_BODY_OK = 0,
    ANALYTICS_BODY_MALFORMED,    /* not JSON, or not a JSON object: 400 */
    ANALYTICS_BODY_INVALID,      /* JSON object breaking a field rule: 422 */
    ANALYTICS_BODY_NO_MEMORY
} analytics_body_status;

/*
 * Loads body as the JSON object the request parsers read (duplicate keys
 * refused): an empty body is an empty object; not JSON, or not an object,
 * is ANALYTICS_BODY_MALFORMED with problem set. *root (a json_t) is set
 * whenever a value was loaded, for the caller to release.
 */
analytics_body_status analytics_json_object_load(const char *body, size_t len, void **root,
    char *problem_buf, size_t problem_size);

/* releases a text json_dumps made (a request's metadata_json, ...) with
 * jansson's own allocator, which the module may have replaced */
void analytics_json_text_free(char *text);

#ifdef __cplusplus
}
#endif

#endif
