/* Which Redis errors the spool replays through, and which it counts. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "redis_error.h"

static int
transient(const char *error)
{
    return analytics_redis_error_is_transient(error, strlen(error));
}

static void
test_errors_that_pass(void **state)
{
    (void) state;
    assert_true(transient("OOM command not allowed when used memory > 'maxmemory'."));
    assert_true(transient("LOADING Redis is loading the dataset in memory"));
    assert_true(transient("BUSY Redis is busy running a script."));
    assert_true(transient("READONLY You can't write against a read only replica."));
    assert_true(transient("MOVED 3999 127.0.0.1:6381"));
    assert_true(transient("ASK 3999 127.0.0.1:6381"));
    assert_true(transient("CLUSTERDOWN The cluster is down"));
    assert_true(transient("MISCONF Redis is configured to save RDB snapshots, but it's currently unable"));
    assert_true(transient("TRYAGAIN"));
    assert_true(analytics_redis_error_is_transient(NULL, 0));
}

static void
test_errors_that_repeat(void **state)
{
    (void) state;
    assert_false(transient("ERR Function not found"));
    assert_false(transient("ERR wrong number of arguments for 'fcall' command"));
    assert_false(transient("WRONGTYPE Operation against a key holding the wrong kind of value"));
    assert_false(transient("NOPERM this user has no permissions to run the 'fcall' command"));
    /* a code is a whole word */
    assert_false(transient("OOMPH"));
    assert_false(transient("ASKED 1 2"));
    assert_false(transient(""));
    /* cut short, the code is what was given */
    assert_false(analytics_redis_error_is_transient("OOM", 2));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors_that_pass),
        cmocka_unit_test(test_errors_that_repeat),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
