#include "validation_errors.h"
#include "json_text.h"

#include <stdio.h>
#include <string.h>

void
analytics_validation_errors_init(analytics_validation_errors *errors)
{
    errors->count = 0;
}

void
analytics_validation_errors_add(analytics_validation_errors *errors,
    const char *field, const char *message)
{
    if (errors->count < ANALYTICS_MAX_VALIDATION_ERRORS) {
        errors->items[errors->count].field = field;
        errors->items[errors->count].message = message;
        errors->count++;
    }
}

size_t
analytics_validation_errors_render(const analytics_validation_errors *errors,
    char *buf, size_t size)
{
    analytics_json_text out;
    size_t              i, j;
    int                 seen;

    analytics_json_text_init(&out, buf, size);

    analytics_json_text_raw(&out, "{\"message\":");
    if (errors->count == 0) {
        analytics_json_text_string(&out, "The given data was invalid.");
    } else if (errors->count == 1) {
        analytics_json_text_string(&out, errors->items[0].message);
    } else {
        char more[160];
        snprintf(more, sizeof(more), "%s (and %zu more error%s)",
                 errors->items[0].message, errors->count - 1,
                 errors->count - 1 == 1 ? "" : "s");
        analytics_json_text_string(&out, more);
    }

    analytics_json_text_raw(&out, ",\"errors\":{");

    /* group messages by field, fields in order of first failure */
    for (i = 0; i < errors->count; i++) {
        seen = 0;
        for (j = 0; j < i; j++) {
            if (strcmp(errors->items[j].field, errors->items[i].field) == 0) {
                seen = 1;
                break;
            }
        }
        if (seen) {
            continue;
        }
        if (i > 0) {
            analytics_json_text_raw(&out, ",");
        }
        analytics_json_text_string(&out, errors->items[i].field);
        analytics_json_text_raw(&out, ":[");
        analytics_json_text_string(&out, errors->items[i].message);
        for (j = i + 1; j < errors->count; j++) {
            if (strcmp(errors->items[j].field, errors->items[i].field) == 0) {
                analytics_json_text_raw(&out, ",");
                analytics_json_text_string(&out, errors->items[j].message);
            }
        }
        analytics_json_text_raw(&out, "]");
    }

    analytics_json_text_raw(&out, "}}");

    return analytics_json_text_finish(&out);
}
