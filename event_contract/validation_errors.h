/*
 * A list of failed fields and their messages, rendered in the body shape of
 * the Laravel-style APIs (docs/api.md "Error shapes"):
 *   {"message": "<first message> (and N more errors)", "errors": {"field": ["..."]}}
 * Fixed capacity so the nginx module never allocates while validating.
 */
#ifndef ANALYTICS_VALIDATION_ERRORS_H
#define ANALYTICS_VALIDATION_ERRORS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ANALYTICS_MAX_VALIDATION_ERRORS 16

typedef struct {
    const char *field;
    const char *message; /* static string, never freed */
} analytics_validation_error;

typedef struct {
    size_t                     count;
    analytics_validation_error items[ANALYTICS_MAX_VALIDATION_ERRORS];
} analytics_validation_errors;

void analytics_validation_errors_init(analytics_validation_errors *errors);
void analytics_validation_errors_add(analytics_validation_errors *errors,
    const char *field, const char *message);

/* Writes the JSON body into buf (NUL-terminated). Returns the body length, or
 * the length it would need when buf is too small (like snprintf). */
size_t analytics_validation_errors_render(const analytics_validation_errors *errors,
    char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif
