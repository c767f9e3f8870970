/* Sharded streams: the shard a key goes to, and each shard's key names. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cluster_slot.h"
#include "stream_shard.h"

static size_t
shard_key(const char *key, unsigned shard, char *out, size_t cap)
{
    return analytics_shard_key(key, strlen(key), shard, out, cap);
}

static void
test_shard_key_names(void **state)
{
    char  out[64];

    (void) state;
    assert_int_equal(shard_key("{analytics}:events", 0, out, sizeof(out)), 18);
    assert_string_equal(out, "{analytics}:events");
    assert_int_equal(shard_key("{analytics}:events", 2, out, sizeof(out)), 20);
    assert_string_equal(out, "{analytics-2}:events");
    assert_int_equal(shard_key("{analytics}:rate:api:1.2.3.4", 15, out, sizeof(out)), 31);
    assert_string_equal(out, "{analytics-15}:rate:api:1.2.3.4");
    /* the tag anywhere in the key */
    assert_int_equal(shard_key("prod:{analytics}:events:dead", 1, out, sizeof(out)), 30);
    assert_string_equal(out, "prod:{analytics-1}:events:dead");
    /* no tag, or no room: nothing */
    assert_int_equal(shard_key("events", 1, out, sizeof(out)), 0);
    assert_int_equal(shard_key("{analytics:events", 1, out, sizeof(out)), 0);
    assert_int_equal(shard_key("{analytics}:events", 1, out, 20), 0);
    assert_int_equal(shard_key("{analytics}:events", 1, out, 21), 20);
}

static void
test_shards_are_slots_of_their_own(void **state)
{
    char      out[64];
    unsigned  shard;

    (void) state;
    for (shard = 0; shard < ANALYTICS_MAX_SHARDS; shard++) {
        shard_key("{analytics}:events", shard, out, sizeof(out));
        unsigned stream_slot = analytics_cluster_key_slot(out, strlen(out));
        shard_key("{analytics}:tenants", shard, out, sizeof(out));
        assert_int_equal(analytics_cluster_key_slot(out, strlen(out)), stream_slot);
        if (shard > 0) {
            assert_int_not_equal(stream_slot, analytics_cluster_key_slot("{analytics}", 11));
        }
    }
}

static void
test_shard_of_is_stable_and_spread(void **state)
{
    unsigned  counts[4] = {0, 0, 0, 0};
    char      key[32];
    int       i;

    (void) state;
    assert_int_equal(analytics_shard_of("api:1.2.3.4", 11, 0), 0);
    assert_int_equal(analytics_shard_of("api:1.2.3.4", 11, 1), 0);
    /* FNV-1a 32 of "a" is 0xe40c292c */
    assert_int_equal(analytics_shard_of("a", 1, 7), 0xe40c292cu % 7);
    assert_int_equal(analytics_shard_of("", 0, 3), 2166136261u % 3);
    for (i = 0; i < 4000; i++) {
        int len = snprintf(key, sizeof(key), "api:10.0.%d.%d", i / 256, i % 256);
        unsigned shard = analytics_shard_of(key, (size_t) len, 4);
        assert_int_equal(shard, analytics_shard_of(key, (size_t) len, 4));
        counts[shard]++;
    }
    for (i = 0; i < 4; i++) {
        assert_in_range(counts[i], 850, 1150);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shard_key_names),
        cmocka_unit_test(test_shards_are_slots_of_their_own),
        cmocka_unit_test(test_shard_of_is_stable_and_spread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
