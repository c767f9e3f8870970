/* Redis Cluster key slots, against the values Redis's own documentation shows. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "cluster_slot.h"

static unsigned
slot(const char *key)
{
    return analytics_cluster_key_slot(key, strlen(key));
}

static void
test_documented_slots(void **state)
{
    (void) state;
    assert_int_equal(slot("somekey"), 11058);
    assert_int_equal(slot("foo{hash_tag}"), 2515);
    assert_int_equal(slot("bar{hash_tag}"), 2515);
    assert_int_equal(slot("hash_tag"), 2515);
    assert_int_equal(slot("123456789") , 0x31c3 % 16384);   /* CRC16/XMODEM's check value */
}

static void
test_hash_tags(void **state)
{
    (void) state;
    assert_int_equal(slot("{analytics}:events"), slot("analytics"));
    assert_int_equal(slot("{analytics}:tenants"), slot("{analytics}:rate:api:1.2.3.4"));
    /* an empty tag does not count: the whole key is hashed */
    assert_int_equal(slot("foo{}{bar}"), analytics_cluster_key_slot("foo{}{bar}", 10));
    assert_true(slot("foo{}{bar}") != slot("bar"));
    /* the tag ends at the first '}' after the first '{' */
    assert_int_equal(slot("foo{{bar}}zap"), slot("{bar"));
    assert_int_equal(slot("foo{bar"), slot("foo{bar"));
    assert_int_equal(analytics_cluster_key_slot("", 0), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_documented_slots),
        cmocka_unit_test(test_hash_tags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
