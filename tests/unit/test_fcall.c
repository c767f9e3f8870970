/* The FCALL argument builder: the order redis_keys.h names, numkeys kept
 * current, and a call that cannot be sent marked broken. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "fcall.h"
#include "redis_keys.h"

static void
assert_arg(const analytics_fcall *call, size_t at, const char *expected)
{
    assert_true(at < call->argc);
    assert_int_equal(call->argvlen[at], strlen(expected));
    assert_memory_equal(call->argv[at], expected, strlen(expected));
}

static void
test_ingest_call_in_contract_order(void **state)
{
    const char       *argv[32];
    size_t            argvlen[32];
    analytics_fcall   call;

    (void) state;
    analytics_fcall_begin(&call, argv, argvlen, 32, ANALYTICS_FUNCTION_INGEST);
    analytics_fcall_text(&call, ANALYTICS_KEY_TENANTS);
    analytics_fcall_key(&call, ANALYTICS_KEY_STREAM, strlen(ANALYTICS_KEY_STREAM));
    analytics_fcall_key(&call, "{analytics}:rate:api:1.2.3.4", 28);
    assert_int_equal(call.broken, 1);   /* text before a key: an argument */

    analytics_fcall_begin(&call, argv, argvlen, 32, ANALYTICS_FUNCTION_INGEST);
    analytics_fcall_key(&call, ANALYTICS_KEY_TENANTS, strlen(ANALYTICS_KEY_TENANTS));
    analytics_fcall_key(&call, ANALYTICS_KEY_STREAM, strlen(ANALYTICS_KEY_STREAM));
    analytics_fcall_key(&call, "{analytics}:rate:api:1.2.3.4", 28);
    analytics_fcall_key(&call, ANALYTICS_KEY_VISITOR_SALTS, strlen(ANALYTICS_KEY_VISITOR_SALTS));
    analytics_fcall_key(&call, ANALYTICS_KEY_PRODUCTS, strlen(ANALYTICS_KEY_PRODUCTS));
    analytics_fcall_text(&call, "write");
    analytics_fcall_number(&call, 60);
    analytics_fcall_number(&call, 60000);
    analytics_fcall_text(&call, "any");
    analytics_fcall_text(&call, "acme");
    assert_int_equal(call.broken, 0);

    assert_int_equal(call.argc, 3 + 5 + 5);
    assert_int_equal(call.keys, ANALYTICS_INGEST_KEYS);
    assert_arg(&call, 0, "FCALL");
    assert_arg(&call, 1, "analytics_ingest_v16");
    assert_arg(&call, 2, "5");
    assert_arg(&call, analytics_fcall_key_at(&call, ANALYTICS_FCALL_KEY_RATE), "{analytics}:rate:api:1.2.3.4");
    assert_arg(&call, analytics_fcall_key_at(&call, ANALYTICS_INGEST_KEY_PRODUCTS), "{analytics}:products");
    assert_arg(&call, analytics_fcall_arg_at(&call, ANALYTICS_FCALL_ARG_ACTION), "write");
    assert_arg(&call, analytics_fcall_arg_at(&call, ANALYTICS_FCALL_ARG_LIMIT), "60");
    assert_arg(&call, analytics_fcall_arg_at(&call, ANALYTICS_FCALL_ARG_PERIOD), "60000");
    assert_arg(&call, analytics_fcall_arg_at(&call, ANALYTICS_FCALL_ARG_LOOKUP), "any");
    assert_arg(&call, analytics_fcall_arg_at(&call, ANALYTICS_INGEST_ARG_TENANT), "acme");
    assert_int_equal(analytics_fcall_arg_count(&call), 5);

    /* a replay's rewrite, by position */
    analytics_fcall_set_key(&call, ANALYTICS_FCALL_KEY_RATE, ANALYTICS_RATE_KEY_REPLAY,
                            strlen(ANALYTICS_RATE_KEY_REPLAY));
    analytics_fcall_set_arg(&call, ANALYTICS_FCALL_ARG_LIMIT, "0", 1);
    assert_arg(&call, 5, "{analytics}:rate:replay");
    assert_arg(&call, 9, "0");
    assert_int_equal(call.broken, 0);
    /* a copy of the call, adopted: the same positions */
    {
        analytics_fcall  kept;

        analytics_fcall_adopt(&kept, argv, argvlen, call.argc, call.keys);
        assert_int_equal(kept.broken, 0);
        assert_int_equal(analytics_fcall_arg_at(&kept, ANALYTICS_INGEST_ARG_TENANT), 12);
        analytics_fcall_set_arg(&kept, ANALYTICS_INGEST_ARG_TENANT, "beta", 4);
        assert_arg(&kept, 12, "beta");
        analytics_fcall_set_arg(&kept, ANALYTICS_INGEST_ARG_VISITOR, "", 0);
        assert_int_equal(kept.broken, 1);   /* past its last argument */
    }
    /* positions the call does not have */
    analytics_fcall_set_key(&call, 5, "x", 1);
    assert_int_equal(call.broken, 1);
}

static void
test_numbers_and_keys_beyond_nine(void **state)
{
    const char       *argv[64];
    size_t            argvlen[64];
    size_t            i;
    analytics_fcall   call;

    (void) state;
    analytics_fcall_begin(&call, argv, argvlen, 64, "f");
    for (i = 0; i < 12; i++) {
        analytics_fcall_key(&call, "k", 1);
    }
    assert_arg(&call, 2, "12");
    analytics_fcall_number(&call, 0);
    analytics_fcall_number(&call, UINT64_MAX);
    assert_arg(&call, analytics_fcall_arg_at(&call, 0), "0");
    assert_arg(&call, analytics_fcall_arg_at(&call, 1), "18446744073709551615");
    analytics_fcall_number(&call, 1);
    analytics_fcall_number(&call, 2);
    assert_int_equal(call.broken, 0);
    analytics_fcall_number(&call, 3);   /* a fifth number has no room */
    assert_int_equal(call.broken, 1);
}

static void
test_capacity_is_never_passed(void **state)
{
    const char       *argv[5];
    size_t            argvlen[5];
    analytics_fcall   call;

    (void) state;
    analytics_fcall_begin(&call, argv, argvlen, 5, "f");
    analytics_fcall_key(&call, "a", 1);
    analytics_fcall_arg(&call, "b", 1);
    assert_int_equal(call.broken, 0);
    analytics_fcall_arg(&call, "c", 1);
    assert_int_equal(call.broken, 1);
    assert_int_equal(call.argc, 5);
    /* an empty argument may point nowhere */
    analytics_fcall_begin(&call, argv, argvlen, 5, "f");
    analytics_fcall_arg(&call, NULL, 0);
    assert_int_equal(call.argvlen[3], 0);
    assert_int_equal(call.keys, 0);
    assert_arg(&call, 2, "0");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ingest_call_in_contract_order),
        cmocka_unit_test(test_numbers_and_keys_beyond_nine),
        cmocka_unit_test(test_capacity_is_never_passed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
