#include "event_kind.h"

#include <string.h>

static const char *const analytics_event_kind_names[] = {
    "", "track", "conversion", "interaction", "order_tracked", "funnel_step", "project_event"
};

#define ANALYTICS_EVENT_KINDS \
    (sizeof(analytics_event_kind_names) / sizeof(analytics_event_kind_names[0]))

const char *
analytics_event_kind_name(analytics_event_kind kind)
{
    if ((size_t) kind >= ANALYTICS_EVENT_KINDS) {
        return "";
    }

    return analytics_event_kind_names[kind];
}

analytics_event_kind
analytics_event_kind_parse(const char *name, size_t len)
{
    size_t  i;

    for (i = 1; i < ANALYTICS_EVENT_KINDS; i++) {
        if (strlen(analytics_event_kind_names[i]) == len
            && memcmp(analytics_event_kind_names[i], name, len) == 0)
        {
            return (analytics_event_kind) i;
        }
    }

    return ANALYTICS_EVENT_KIND_UNKNOWN;
}
