/* Attribution splits checked against hand-worked examples. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "credit_split.h"

#define DAY_MS (24LL * 3600 * 1000)

static const int64_t converted_at = 1790000000000LL;

static void
split(analytics_attribution_model model, const analytics_touch *touches, size_t count, int64_t value,
    analytics_credit_share *shares)
{
    assert_int_equal(analytics_credit_split(model, touches, count, converted_at, value, shares), 0);
}

static void
test_linear_two_touches_halve_4000(void **state)
{
    analytics_touch touches[] = { { converted_at - 2 * DAY_MS, 0 }, { converted_at - DAY_MS, 0 } };
    analytics_credit_share shares[2];
    (void) state;

    split(ANALYTICS_MODEL_LINEAR, touches, 2, 4000, shares);
    assert_int_equal(shares[0].value, 2000);
    assert_int_equal(shares[1].value, 2000);
    assert_int_equal(shares[0].credit, 500000);
    assert_int_equal(shares[1].credit, 500000);
}

static void
test_linear_three_touches_leftover_goes_to_the_latest(void **state)
{
    analytics_touch touches[] = { { converted_at - 3, 0 }, { converted_at - 2, 1 }, { converted_at - 1, 0 } };
    analytics_credit_share shares[3];
    (void) state;

    split(ANALYTICS_MODEL_LINEAR, touches, 3, 100, shares);
    assert_int_equal(shares[0].value, 33);
    assert_int_equal(shares[1].value, 33);
    assert_int_equal(shares[2].value, 34);
    assert_int_equal(shares[0].credit, 333333);
    assert_int_equal(shares[1].credit, 333333);
    assert_int_equal(shares[2].credit, 333334);
}

static void
test_last_non_direct_skips_direct_touches(void **state)
{
    analytics_touch touches[] = { { converted_at - 3, 0 }, { converted_at - 2, 0 }, { converted_at - 1, 1 } };
    analytics_credit_share shares[3];
    (void) state;

    split(ANALYTICS_MODEL_LAST_NON_DIRECT, touches, 3, 4000, shares);
    assert_int_equal(shares[0].value, 0);
    assert_int_equal(shares[1].value, 4000);
    assert_int_equal(shares[2].value, 0);
    assert_int_equal(shares[1].credit, ANALYTICS_CREDIT_WHOLE);
}

static void
test_last_non_direct_with_only_direct_touches_takes_the_last(void **state)
{
    analytics_touch touches[] = { { converted_at - 2, 1 }, { converted_at - 1, 1 } };
    analytics_credit_share shares[2];
    (void) state;

    split(ANALYTICS_MODEL_LAST_NON_DIRECT, touches, 2, 999, shares);
    assert_int_equal(shares[0].value, 0);
    assert_int_equal(shares[1].value, 999);
}

static void
test_first_touch_takes_all(void **state)
{
    analytics_touch touches[] = { { converted_at - 2, 1 }, { converted_at - 1, 0 } };
    analytics_credit_share shares[2];
    (void) state;

    split(ANALYTICS_MODEL_FIRST_TOUCH, touches, 2, 4000, shares);
    assert_int_equal(shares[0].value, 4000);
    assert_int_equal(shares[0].credit, ANALYTICS_CREDIT_WHOLE);
    assert_int_equal(shares[1].value, 0);
    assert_int_equal(shares[1].credit, 0);
}

static void
test_position_based_40_20_40(void **state)
{
    analytics_touch touches[5];
    analytics_credit_share shares[5];
    size_t i;
    (void) state;

    for (i = 0; i < 5; i++) {
        touches[i].at_ms = converted_at - 10 + (int64_t) i;
        touches[i].direct = 0;
    }
    /* 1000: 400 first, 400 last, 200 over three: 66.67 each, the two units
     * left over to the later two */
    split(ANALYTICS_MODEL_POSITION_BASED, touches, 5, 1000, shares);
    assert_int_equal(shares[0].value, 400);
    assert_int_equal(shares[1].value, 66);
    assert_int_equal(shares[2].value, 67);
    assert_int_equal(shares[3].value, 67);
    assert_int_equal(shares[4].value, 400);
    assert_int_equal(shares[0].credit + shares[1].credit + shares[2].credit + shares[3].credit
                     + shares[4].credit, ANALYTICS_CREDIT_WHOLE);

    split(ANALYTICS_MODEL_POSITION_BASED, touches, 1, 1000, shares);
    assert_int_equal(shares[0].value, 1000);
    split(ANALYTICS_MODEL_POSITION_BASED, touches, 2, 1001, shares);
    assert_int_equal(shares[0].value, 500);
    assert_int_equal(shares[1].value, 501);
}

static void
test_time_decay_halves_each_week(void **state)
{
    analytics_touch touches[] = { { converted_at - 14 * DAY_MS, 0 }, { converted_at - 7 * DAY_MS, 0 },
                                  { converted_at, 0 } };
    analytics_credit_share shares[3];
    (void) state;

    /* weights 1/4, 1/2, 1: 7000 gives 1000, 2000, 4000 */
    split(ANALYTICS_MODEL_TIME_DECAY, touches, 3, 7000, shares);
    assert_int_equal(shares[0].value, 1000);
    assert_int_equal(shares[1].value, 2000);
    assert_int_equal(shares[2].value, 4000);
    assert_int_equal(shares[0].credit, 142857);
    assert_int_equal(shares[1].credit, 285714);
    assert_int_equal(shares[2].credit, 571429);
}

static void
test_zero_value_and_bad_arguments(void **state)
{
    analytics_touch touches[] = { { converted_at - 1, 0 } };
    analytics_credit_share shares[1];
    (void) state;

    split(ANALYTICS_MODEL_LINEAR, touches, 1, 0, shares);
    assert_int_equal(shares[0].value, 0);
    assert_int_equal(shares[0].credit, ANALYTICS_CREDIT_WHOLE);
    assert_int_equal(analytics_credit_split(ANALYTICS_MODEL_LINEAR, touches, 0, converted_at, 1, shares), -1);
    assert_int_equal(analytics_credit_split(ANALYTICS_MODEL_LINEAR, touches, 1, converted_at, -1, shares), -1);
    assert_int_equal(analytics_credit_split(ANALYTICS_MODEL_LINEAR, touches, ANALYTICS_MAX_TOUCHES + 1,
                                            converted_at, 1, shares), -1);
}

static void
test_model_names_round_trip(void **state)
{
    analytics_attribution_model model;
    const char *names[] = { "last_non_direct", "first_touch", "linear", "position_based", "time_decay" };
    size_t i;
    (void) state;

    for (i = 0; i < 5; i++) {
        assert_int_equal(analytics_attribution_model_parse(names[i], &model), 0);
        assert_int_equal(model, (analytics_attribution_model) i);
        assert_string_equal(analytics_attribution_model_name(model), names[i]);
    }
    assert_int_equal(analytics_attribution_model_parse("Linear", &model), -1);
    assert_int_equal(analytics_attribution_model_parse("", &model), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear_two_touches_halve_4000),
        cmocka_unit_test(test_linear_three_touches_leftover_goes_to_the_latest),
        cmocka_unit_test(test_last_non_direct_skips_direct_touches),
        cmocka_unit_test(test_last_non_direct_with_only_direct_touches_takes_the_last),
        cmocka_unit_test(test_first_touch_takes_all),
        cmocka_unit_test(test_position_based_40_20_40),
        cmocka_unit_test(test_time_decay_halves_each_week),
        cmocka_unit_test(test_zero_value_and_bad_arguments),
        cmocka_unit_test(test_model_names_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
