/*
 * How a conversion's credit and value are split over the visitor's touches
 * (docs/api.md "Interactions, sources and attribution"; docs/attribution.md).
 *
 * Credit is counted in millionths of a conversion and value in minor units
 * of its currency; both are split by largest remainder, so the shares are
 * integers that add up exactly to the whole.
 *
 *   last non-direct  the last touch that named a source; if none did, the last touch
 *   first touch      the first touch
 *   linear           every touch the same
 *   position based   40% first, 40% last, 20% over the middle; one touch
 *                    takes all, two take half each
 *   time decay       weight 2^(-age / 7 days), age measured at the conversion
 *
 * Plain C on plain data: no I/O, no allocation.
 */
#ifndef ANALYTICS_CREDIT_SPLIT_H
#define ANALYTICS_CREDIT_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ANALYTICS_CREDIT_WHOLE     1000000   /* credit of one conversion, in millionths */
#define ANALYTICS_MAX_TOUCHES      64        /* touches weighed per conversion; older ones are dropped */

typedef enum {
    ANALYTICS_MODEL_LAST_NON_DIRECT = 0,
    ANALYTICS_MODEL_FIRST_TOUCH,
    ANALYTICS_MODEL_LINEAR,
    ANALYTICS_MODEL_POSITION_BASED,
    ANALYTICS_MODEL_TIME_DECAY
} analytics_attribution_model;

typedef struct {
    int64_t at_ms;     /* when the touch happened, Unix milliseconds */
    int     direct;    /* the touch named no source */
} analytics_touch;

typedef struct {
    int64_t credit;    /* millionths of the conversion */
    int64_t value;     /* minor units */
} analytics_credit_share;

/* the model named by text ("last_non_direct", "first_touch", "linear",
 * "position_based", "time_decay"); -1 for any other text */
int analytics_attribution_model_parse(const char *text, analytics_attribution_model *model);
const char *analytics_attribution_model_name(analytics_attribution_model model);

/*
 * touches: count (1..ANALYTICS_MAX_TOUCHES) touches in time order, none after
 * converted_at_ms. Fills shares[0..count) and returns 0; -1 when count is out
 * of range or value is negative.
 */
int analytics_credit_split(analytics_attribution_model model, const analytics_touch *touches,
    size_t count, int64_t converted_at_ms, int64_t value, analytics_credit_share *shares);

#ifdef __cplusplus
}
#endif

#endif
