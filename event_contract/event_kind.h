/*
 * The kinds of event a stream entry carries, one list for the module (which
 * names the kind each endpoint's events have) and the aggregator (which
 * writes each kind its own way). In the stream and in the events table a
 * kind travels as its name.
 */
#ifndef ANALYTICS_EVENT_KIND_H
#define ANALYTICS_EVENT_KIND_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    ANALYTICS_EVENT_KIND_UNKNOWN = 0,
    ANALYTICS_EVENT_KIND_TRACK,          /* "track": an event of the site, with its type */
    ANALYTICS_EVENT_KIND_CONVERSION,     /* "conversion": money, a transaction, attributed */
    ANALYTICS_EVENT_KIND_INTERACTION,    /* "interaction": a touch, classified by source */
    ANALYTICS_EVENT_KIND_ORDER_TRACKED,  /* "order_tracked": a webshop order marked */
    ANALYTICS_EVENT_KIND_FUNNEL_STEP,    /* "funnel_step": onboarding steps of a token's subject */
    ANALYTICS_EVENT_KIND_PROJECT_EVENT   /* "project_event": a Webmarketer event, checked against its type */
} analytics_event_kind;

/* the kind's name as the stream and the events table have it; "" for UNKNOWN */
const char *analytics_event_kind_name(analytics_event_kind kind);

/* the kind a name names, or ANALYTICS_EVENT_KIND_UNKNOWN */
analytics_event_kind analytics_event_kind_parse(const char *name, size_t len);

#ifdef __cplusplus
}
#endif

#endif
