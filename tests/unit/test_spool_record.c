/* The spool's records: written and read back, and every damage a file can
 * take (truncated, bit-flipped, zero-filled, lengths that lie) refused or
 * passed over without reading past the bytes given. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "spool_record.h"

/* writes a format 2 record of argv into out; returns its size */
static size_t
write_record(unsigned char *out, int argc, const char **argv)
{
    size_t    lens[ANALYTICS_SPOOL_MAX_ARGS], size, at;
    uint32_t  head[2], field;
    int       i;

    for (i = 0; i < argc; i++) {
        lens[i] = strlen(argv[i]);
    }
    size = analytics_spool_record_size(argc, lens);
    assert_true(size > 0);
    analytics_spool_record_head(head, argc, argv, lens, size);
    memcpy(out, head, sizeof(head));
    field = (uint32_t) argc;
    memcpy(out + 8, &field, 4);
    at = 12;
    for (i = 0; i < argc; i++) {
        field = (uint32_t) lens[i];
        memcpy(out + at, &field, 4);
        memcpy(out + at + 4, argv[i], lens[i]);
        at += 4 + lens[i];
    }
    assert_int_equal(at, size);
    return size;
}

static const char *call_a[] = {"FCALL", "analytics_ingest", "2", "{analytics}:events", "payload-a"};
static const char *call_b[] = {"FCALL", "analytics_ingest", "1", "payload-b"};

static void
test_a_record_reads_back(void **state)
{
    unsigned char           buf[512];
    analytics_spool_record  record;
    size_t                  size;

    (void) state;
    size = write_record(buf, 5, call_a);
    assert_int_equal(size, 12 + 5 * 4 + strlen("FCALLanalytics_ingest2{analytics}:eventspayload-a"));
    assert_int_equal(analytics_spool_record_read(buf, size, ANALYTICS_SPOOL_FORMAT_2, &record), ANALYTICS_SPOOL_RECORD_OK);
    assert_int_equal(record.size, size);
    assert_int_equal(record.argc, 5);
    assert_int_equal(record.argvlen[4], 9);
    assert_memory_equal(record.argv[4], "payload-a", 9);
    /* every shorter prefix: partial, never read past */
    for (size_t cut = 0; cut < size; cut++) {
        assert_int_equal(analytics_spool_record_read(buf, cut, ANALYTICS_SPOOL_FORMAT_2, &record),
                         ANALYTICS_SPOOL_RECORD_PARTIAL);
    }
}

/* an empty argument may come without a pointer (nginx's ngx_str_null): the
 * checksum must not restart there, as zlib's crc32() does for a NULL buffer */
static void
test_an_empty_argument_without_a_pointer(void **state)
{
    const char             *argv[] = {"FCALL", "f", "0", NULL, "tail"};
    size_t                  lens[] = {5, 1, 1, 0, 4}, size, at;
    unsigned char           buf[256];
    uint32_t                head[2], field;
    analytics_spool_record  record;
    int                     i;

    (void) state;
    size = analytics_spool_record_size(5, lens);
    analytics_spool_record_head(head, 5, argv, lens, size);
    memcpy(buf, head, sizeof(head));
    field = 5;
    memcpy(buf + 8, &field, 4);
    at = 12;
    for (i = 0; i < 5; i++) {
        field = (uint32_t) lens[i];
        memcpy(buf + at, &field, 4);
        if (lens[i] > 0) {
            memcpy(buf + at + 4, argv[i], lens[i]);
        }
        at += 4 + lens[i];
    }
    assert_int_equal(analytics_spool_record_read(buf, size, ANALYTICS_SPOOL_FORMAT_2, &record), ANALYTICS_SPOOL_RECORD_OK);
    assert_int_equal(record.argvlen[3], 0);
    assert_memory_equal(record.argv[4], "tail", 4);
}

static void
test_every_flipped_bit_is_refused(void **state)
{
    unsigned char           buf[512];
    analytics_spool_record  record;
    size_t                  size, byte;
    int                     bit;

    (void) state;
    size = write_record(buf, 4, call_b);
    for (byte = 0; byte < size; byte++) {
        for (bit = 0; bit < 8; bit++) {
            buf[byte] ^= (unsigned char) (1 << bit);
            assert_int_not_equal(analytics_spool_record_read(buf, size, ANALYTICS_SPOOL_FORMAT_2, &record),
                                 ANALYTICS_SPOOL_RECORD_OK);
            buf[byte] ^= (unsigned char) (1 << bit);
        }
    }
}

static void
test_damage_is_passed_over_to_the_next_record(void **state)
{
    unsigned char           buf[1024];
    analytics_spool_record  record;
    size_t                  a, zeros = 40, b, skipped;

    (void) state;
    a = write_record(buf, 5, call_a);
    buf[a / 2] ^= 0x10;                              /* the first record damaged */
    memset(buf + a, 0, zeros);                       /* then a zero-filled stretch */
    b = write_record(buf + a + zeros, 4, call_b);    /* then a good one */
    /* a whole file: nothing after it, so no stretch may wait for more */
    assert_int_equal(analytics_spool_next(buf, a + zeros + b, 1, ANALYTICS_SPOOL_FORMAT_2, &record, &skipped),
                     ANALYTICS_SPOOL_RECORD_OK);
    assert_int_equal(skipped, a + zeros);
    assert_memory_equal(record.argv[3], "payload-b", 9);

    /* a torn tail: waits for more while the file grows, is damage at its end */
    assert_int_equal(analytics_spool_next(buf + a + zeros, b - 3, 0, ANALYTICS_SPOOL_FORMAT_2, &record, &skipped),
                     ANALYTICS_SPOOL_RECORD_PARTIAL);
    assert_int_equal(skipped, 0);
    assert_int_equal(analytics_spool_next(buf + a + zeros, b - 3, 1, ANALYTICS_SPOOL_FORMAT_2, &record, &skipped),
                     ANALYTICS_SPOOL_RECORD_PARTIAL);
    assert_int_equal(skipped, b - 3);
}

static void
test_lengths_that_lie_are_refused(void **state)
{
    unsigned char           buf[512];
    analytics_spool_record  record;
    uint32_t                field;
    size_t                  size;

    (void) state;
    /* format 1 (no checksum): only the lengths can tell */
    memcpy(buf, (uint32_t[]) {20, 2, 4}, 12);
    memcpy(buf + 12, "abcd", 4);
    field = 100;                                    /* the second argument claims past the record */
    memcpy(buf + 16, &field, 4);
    size = 4 + 20;
    assert_int_equal(analytics_spool_record_read(buf, size, ANALYTICS_SPOOL_FORMAT_1, &record), ANALYTICS_SPOOL_RECORD_DAMAGED);
    field = 0;                                      /* fits, but leaves 4 bytes over */
    memcpy(buf + 16, &field, 4);
    assert_int_equal(analytics_spool_record_read(buf, size, ANALYTICS_SPOOL_FORMAT_1, &record), ANALYTICS_SPOOL_RECORD_DAMAGED);
    field = 4;
    memcpy(buf + 16, &field, 4);
    assert_int_equal(analytics_spool_record_read(buf, size, ANALYTICS_SPOOL_FORMAT_1, &record), ANALYTICS_SPOOL_RECORD_OK);
    assert_int_equal(record.argc, 2);
    memcpy(buf, (uint32_t[]) {ANALYTICS_SPOOL_MAX_RECORD}, 4);   /* longer than any record */
    assert_int_equal(analytics_spool_record_read(buf, size, ANALYTICS_SPOOL_FORMAT_1, &record), ANALYTICS_SPOOL_RECORD_DAMAGED);
    memcpy(buf, (uint32_t[]) {20, 0}, 8);                          /* no arguments */
    assert_int_equal(analytics_spool_record_read(buf, size, ANALYTICS_SPOOL_FORMAT_1, &record), ANALYTICS_SPOOL_RECORD_DAMAGED);
}

static void
test_records_too_large_to_replay_are_not_written(void **state)
{
    size_t  lens[ANALYTICS_SPOOL_MAX_ARGS + 1] = {0};

    (void) state;
    lens[0] = ANALYTICS_SPOOL_MAX_RECORD - 16;
    assert_int_equal(analytics_spool_record_size(1, lens), ANALYTICS_SPOOL_MAX_RECORD);
    lens[0]++;
    assert_int_equal(analytics_spool_record_size(1, lens), 0);
    lens[0] = 1;
    assert_int_equal(analytics_spool_record_size(ANALYTICS_SPOOL_MAX_ARGS + 1, lens), 0);
    assert_int_equal(analytics_spool_record_size(0, lens), 0);
}

static void
test_file_formats(void **state)
{
    (void) state;
    assert_int_equal(analytics_spool_file_format((const unsigned char *) ANALYTICS_SPOOL_MAGIC "rest", 22),
                     ANALYTICS_SPOOL_FORMAT_2);
    assert_int_equal(analytics_spool_file_format((const unsigned char *) "analytics sp", 12), 0);
    assert_int_equal(analytics_spool_file_format((const unsigned char *) "", 0), 0);
    assert_int_equal(analytics_spool_file_format((const unsigned char *) "\x14\0\0\0\x02\0\0\0", 8),
                     ANALYTICS_SPOOL_FORMAT_1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_record_reads_back),
        cmocka_unit_test(test_an_empty_argument_without_a_pointer),
        cmocka_unit_test(test_every_flipped_bit_is_refused),
        cmocka_unit_test(test_damage_is_passed_over_to_the_next_record),
        cmocka_unit_test(test_lengths_that_lie_are_refused),
        cmocka_unit_test(test_records_too_large_to_replay_are_not_written),
        cmocka_unit_test(test_file_formats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
