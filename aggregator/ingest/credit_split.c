#include "credit_split.h"

#include <math.h>
#include <string.h>

#define ANALYTICS_DECAY_HALF_LIFE_MS  (7.0 * 24 * 3600 * 1000)
#define ANALYTICS_DECAY_SCALE         1073741824.0    /* 2^30: a fresh touch's weight */

static const char *const analytics_model_names[] = {
    "last_non_direct", "first_touch", "linear", "position_based", "time_decay"
};

static void analytics_weigh(analytics_attribution_model model, const analytics_touch *touches,
    size_t count, int64_t converted_at_ms, uint64_t *weights);
static void analytics_largest_remainder(const uint64_t *weights, size_t count, int64_t whole,
    int64_t *parts);

int
analytics_attribution_model_parse(const char *text, analytics_attribution_model *model)
{
    size_t  i;

    for (i = 0; i < sizeof(analytics_model_names) / sizeof(analytics_model_names[0]); i++) {
        if (strcmp(text, analytics_model_names[i]) == 0) {
            *model = (analytics_attribution_model) i;
            return 0;
        }
    }
    return -1;
}

const char *
analytics_attribution_model_name(analytics_attribution_model model)
{
    return analytics_model_names[model];
}

/* integer weights, so that the split is exact arithmetic */
static void
analytics_weigh(analytics_attribution_model model, const analytics_touch *touches, size_t count,
    int64_t converted_at_ms, uint64_t *weights)
{
    size_t   i, chosen;
    double   age_ms, weight;

    memset(weights, 0, count * sizeof(weights[0]));

    switch (model) {

    case ANALYTICS_MODEL_LAST_NON_DIRECT:
        chosen = count - 1;
        for (i = count; i-- > 0; ) {
            if (!touches[i].direct) {
                chosen = i;
                break;
            }
        }
        weights[chosen] = 1;
        break;

    case ANALYTICS_MODEL_FIRST_TOUCH:
        weights[0] = 1;
        break;

    case ANALYTICS_MODEL_LINEAR:
        for (i = 0; i < count; i++) {
            weights[i] = 1;
        }
        break;

    case ANALYTICS_MODEL_POSITION_BASED:
        if (count <= 2) {
            for (i = 0; i < count; i++) {
                weights[i] = 1;
            }
            break;
        }
        /* of 5(n-2) parts: 2(n-2) first, 2(n-2) last, one each in the middle */
        for (i = 1; i + 1 < count; i++) {
            weights[i] = 1;
        }
        weights[0] = 2 * (count - 2);
        weights[count - 1] = 2 * (count - 2);
        break;

    case ANALYTICS_MODEL_TIME_DECAY:
        for (i = 0; i < count; i++) {
            age_ms = (double) (converted_at_ms - touches[i].at_ms);
            if (age_ms < 0) {
                age_ms = 0;
            }
            weight = ANALYTICS_DECAY_SCALE * exp2(-age_ms / ANALYTICS_DECAY_HALF_LIFE_MS);
            weights[i] = weight < 1.0 ? 1 : (uint64_t) llround(weight);
        }
        break;
    }
}

/* whole * weight / sum for each part, rounded down, and the units left over
 * to the largest remainders (the later touch on a tie) */
static void
analytics_largest_remainder(const uint64_t *weights, size_t count, int64_t whole, int64_t *parts)
{
    unsigned __int128  sum, product;
    uint64_t           remainders[ANALYTICS_MAX_TOUCHES];
    int                taken[ANALYTICS_MAX_TOUCHES];
    int64_t            given;
    size_t             i, best;

    sum = 0;
    for (i = 0; i < count; i++) {
        sum += weights[i];
    }
    given = 0;
    for (i = 0; i < count; i++) {
        product = (unsigned __int128) whole * weights[i];
        parts[i] = (int64_t) (product / sum);
        remainders[i] = (uint64_t) (product % sum);
        taken[i] = 0;
        given += parts[i];
    }
    while (given < whole) {
        best = count;
        for (i = count; i-- > 0; ) {
            if (!taken[i] && weights[i] > 0 && (best == count || remainders[i] > remainders[best])) {
                best = i;
            }
        }
        taken[best] = 1;
        parts[best]++;
        given++;
    }
}

int
analytics_credit_split(analytics_attribution_model model, const analytics_touch *touches,
    size_t count, int64_t converted_at_ms, int64_t value, analytics_credit_share *shares)
{
    uint64_t  weights[ANALYTICS_MAX_TOUCHES];
    int64_t   credit[ANALYTICS_MAX_TOUCHES], values[ANALYTICS_MAX_TOUCHES];
    size_t    i;

    if (count == 0 || count > ANALYTICS_MAX_TOUCHES || value < 0
        || (unsigned) model > ANALYTICS_MODEL_TIME_DECAY)
    {
        return -1;
    }
    analytics_weigh(model, touches, count, converted_at_ms, weights);
    analytics_largest_remainder(weights, count, ANALYTICS_CREDIT_WHOLE, credit);
    analytics_largest_remainder(weights, count, value, values);
    for (i = 0; i < count; i++) {
        shares[i].credit = credit[i];
        shares[i].value = values[i];
    }
    return 0;
}
