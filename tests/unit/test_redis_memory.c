/* Reading INFO memory, and where the high-water mark falls. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "redis_memory.h"

/* as Redis 7.0 writes it: the names around ours share their prefixes */
static const char  info[] =
    "# Memory\r\n"
    "used_memory:1048576\r\n"
    "used_memory_human:1.00M\r\n"
    "used_memory_rss:9437184\r\n"
    "used_memory_peak:2097152\r\n"
    "maxmemory:4194304\r\n"
    "maxmemory_human:4.00M\r\n"
    "maxmemory_policy:noeviction\r\n";

static void
test_reads_used_and_max(void **state)
{
    analytics_redis_memory  memory;

    (void) state;
    assert_int_equal(analytics_redis_memory_read(info, strlen(info), &memory), 0);
    assert_int_equal(memory.used, 1048576);
    assert_int_equal(memory.max, 4194304);
}

static void
test_refuses_what_it_cannot_read(void **state)
{
    analytics_redis_memory  memory;
    const char             *no_max = "used_memory:10\r\nmaxmemory_human:0B\r\n";
    const char             *not_a_number = "used_memory:12k\r\nmaxmemory:0\r\n";
    const char             *empty_value = "used_memory:\r\nmaxmemory:0\r\n";
    const char             *too_large = "used_memory:99999999999999999999999\r\nmaxmemory:0\r\n";
    const char             *bare_newlines = "used_memory:7\nmaxmemory:0";

    (void) state;
    assert_int_equal(analytics_redis_memory_read(no_max, strlen(no_max), &memory), -1);
    assert_int_equal(analytics_redis_memory_read(not_a_number, strlen(not_a_number), &memory), -1);
    assert_int_equal(analytics_redis_memory_read(empty_value, strlen(empty_value), &memory), -1);
    assert_int_equal(analytics_redis_memory_read(too_large, strlen(too_large), &memory), -1);
    assert_int_equal(analytics_redis_memory_read(NULL, 0, &memory), -1);
    /* the last line may end without one */
    assert_int_equal(analytics_redis_memory_read(bare_newlines, strlen(bare_newlines), &memory), 0);
    assert_int_equal(memory.used, 7);
    assert_int_equal(memory.max, 0);
    /* cut inside the name: not found */
    assert_int_equal(analytics_redis_memory_read(info, 20, &memory), -1);
}

static void
test_high_water_mark(void **state)
{
    analytics_redis_memory  limited = {100, 4194304};
    analytics_redis_memory  unlimited = {100, 0};
    analytics_redis_memory  huge = {0, 18446744073709551615ULL};

    (void) state;
    assert_int_equal(analytics_redis_high_water_mark(&limited, 90, 0), 3774873);
    assert_int_equal(analytics_redis_high_water_mark(&limited, 100, 0), 4194304);
    /* the lower of the two */
    assert_int_equal(analytics_redis_high_water_mark(&limited, 90, 1000000), 1000000);
    assert_int_equal(analytics_redis_high_water_mark(&limited, 10, 1000000), 419430);
    /* a percent of no limit is no mark; bytes stand alone */
    assert_int_equal(analytics_redis_high_water_mark(&unlimited, 90, 0), 0);
    assert_int_equal(analytics_redis_high_water_mark(&unlimited, 90, 5000), 5000);
    assert_int_equal(analytics_redis_high_water_mark(&limited, 0, 0), 0);
    assert_int_equal(analytics_redis_high_water_mark(&limited, 101, 0), 0);
    /* no overflow near the top */
    assert_true(analytics_redis_high_water_mark(&huge, 90, 0) == 16602069666338596453ULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_used_and_max),
        cmocka_unit_test(test_refuses_what_it_cannot_read),
        cmocka_unit_test(test_high_water_mark),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
