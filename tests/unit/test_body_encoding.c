/* Compressed request bodies: the Content-Encoding names, and inflating
 * gzip and deflate bodies into a bounded buffer (a zip bomb stops at it). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "body_encoding.h"

static const char body[] =
    "{\"tenant_id\":\"demo\",\"type\":\"whatsapp_click\",\"metadata\":{\"source\":\"gzip\",\"page\":\"/checkout\"}}";

/* compressed with zlib's deflate: window 15 (zlib), 31 (gzip), -15 (raw) */
static size_t
compress_with(int window_bits, const void *in, size_t len, unsigned char *out, size_t room)
{
    z_stream  zs;

    memset(&zs, 0, sizeof(zs));
    assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
    zs.next_in = (Bytef *) in;
    zs.avail_in = (uInt) len;
    zs.next_out = out;
    zs.avail_out = (uInt) room;
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    deflateEnd(&zs);
    return zs.total_out;
}

static analytics_content_encoding
encoding(const char *value)
{
    return analytics_content_encoding_of(value, strlen(value));
}

static void
test_encoding_names(void **state)
{
    (void) state;
    assert_int_equal(encoding("gzip"), ANALYTICS_ENCODING_GZIP);
    assert_int_equal(encoding(" GZip\t"), ANALYTICS_ENCODING_GZIP);
    assert_int_equal(encoding("x-gzip"), ANALYTICS_ENCODING_GZIP);
    assert_int_equal(encoding("deflate"), ANALYTICS_ENCODING_DEFLATE);
    assert_int_equal(encoding("identity"), ANALYTICS_ENCODING_IDENTITY);
    assert_int_equal(encoding(""), ANALYTICS_ENCODING_IDENTITY);
    assert_int_equal(encoding("  "), ANALYTICS_ENCODING_IDENTITY);
    assert_int_equal(encoding("br"), ANALYTICS_ENCODING_UNSUPPORTED);
    assert_int_equal(encoding("zstd"), ANALYTICS_ENCODING_UNSUPPORTED);
    assert_int_equal(encoding("gzip, br"), ANALYTICS_ENCODING_UNSUPPORTED);
    assert_int_equal(encoding("gzipped"), ANALYTICS_ENCODING_UNSUPPORTED);
}

static void
test_each_format_inflates(void **state)
{
    unsigned char  packed[512], out[512];
    size_t         packed_len, out_len;
    int            windows[] = { 31, 15, -15 };
    analytics_content_encoding  encodings[] = { ANALYTICS_ENCODING_GZIP, ANALYTICS_ENCODING_DEFLATE,
                                                ANALYTICS_ENCODING_DEFLATE };

    (void) state;
    for (int i = 0; i < 3; i++) {
        packed_len = compress_with(windows[i], body, sizeof(body) - 1, packed, sizeof(packed));
        assert_int_equal(analytics_inflate(encodings[i], packed, packed_len, out, sizeof(out), &out_len),
                         ANALYTICS_INFLATE_OK);
        assert_int_equal(out_len, sizeof(body) - 1);
        assert_memory_equal(out, body, out_len);
    }
}

static void
test_room_is_a_hard_limit(void **state)
{
    unsigned char  packed[512], out[512];
    size_t         packed_len, out_len, n = sizeof(body) - 1;

    (void) state;
    packed_len = compress_with(31, body, n, packed, sizeof(packed));
    assert_int_equal(analytics_inflate(ANALYTICS_ENCODING_GZIP, packed, packed_len, out, n, &out_len),
                     ANALYTICS_INFLATE_OK);
    assert_int_equal(out_len, n);

    memset(out, 0xAB, sizeof(out));
    assert_int_equal(analytics_inflate(ANALYTICS_ENCODING_GZIP, packed, packed_len, out, n - 1, &out_len),
                     ANALYTICS_INFLATE_TOO_LARGE);
    assert_int_equal(out_len, n - 1);
    assert_int_equal(out[n - 1], 0xAB);   /* not a byte past room */

    assert_int_equal(analytics_inflate(ANALYTICS_ENCODING_GZIP, packed, packed_len, out, 0, &out_len),
                     ANALYTICS_INFLATE_TOO_LARGE);
    assert_int_equal(out_len, 0);
}

static void
test_a_zip_bomb_stops_at_room(void **state)
{
    size_t          zeros = 64 * 1024 * 1024, packed_len, out_len, room = 16 * 1024;
    unsigned char  *plain, *packed, *out;

    (void) state;
    plain = calloc(zeros, 1);
    packed = malloc(zeros / 100);
    out = malloc(room + 64);
    assert_non_null(plain);
    assert_non_null(packed);
    assert_non_null(out);
    packed_len = compress_with(31, plain, zeros, packed, zeros / 100);
    assert_true(packed_len < 100 * 1024);   /* 64 MB in about 64 KB */
    memset(out, 0xCD, room + 64);
    assert_int_equal(analytics_inflate(ANALYTICS_ENCODING_GZIP, packed, packed_len, out, room, &out_len),
                     ANALYTICS_INFLATE_TOO_LARGE);
    assert_int_equal(out_len, room);
    for (size_t i = room; i < room + 64; i++) {
        assert_int_equal(out[i], 0xCD);
    }
    free(plain);
    free(packed);
    free(out);
}

static void
test_truncated_and_trailing_bytes_are_corrupt(void **state)
{
    unsigned char  packed[1024], out[512];
    size_t         packed_len, out_len;

    (void) state;
    packed_len = compress_with(31, body, sizeof(body) - 1, packed, sizeof(packed));
    for (size_t cut = 0; cut < packed_len; cut++) {
        assert_int_equal(analytics_inflate(ANALYTICS_ENCODING_GZIP, packed, cut, out, sizeof(out), &out_len),
                         ANALYTICS_INFLATE_CORRUPT);
    }
    memcpy(packed + packed_len, "junk", 4);
    assert_int_equal(analytics_inflate(ANALYTICS_ENCODING_GZIP, packed, packed_len + 4, out, sizeof(out), &out_len),
                     ANALYTICS_INFLATE_CORRUPT);

    packed_len = compress_with(15, body, sizeof(body) - 1, packed, sizeof(packed));
    packed[packed_len] = 0;
    assert_int_equal(analytics_inflate(ANALYTICS_ENCODING_DEFLATE, packed, packed_len + 1, out, sizeof(out),
                                       &out_len), ANALYTICS_INFLATE_CORRUPT);
    assert_int_equal(analytics_inflate(ANALYTICS_ENCODING_DEFLATE, (const unsigned char *) body, sizeof(body) - 1,
                                       out, sizeof(out), &out_len), ANALYTICS_INFLATE_CORRUPT);
    assert_int_equal(analytics_inflate(ANALYTICS_ENCODING_IDENTITY, packed, packed_len, out, sizeof(out), &out_len),
                     ANALYTICS_INFLATE_CORRUPT);
}

static void
test_gzip_members_follow_one_another(void **state)
{
    unsigned char  packed[1024], out[512];
    size_t         first, second, out_len;

    (void) state;
    first = compress_with(31, "{\"a\":", 5, packed, sizeof(packed));
    second = compress_with(31, "1}", 2, packed + first, sizeof(packed) - first);
    assert_int_equal(analytics_inflate(ANALYTICS_ENCODING_GZIP, packed, first + second, out, sizeof(out), &out_len),
                     ANALYTICS_INFLATE_OK);
    assert_int_equal(out_len, 7);
    assert_memory_equal(out, "{\"a\":1}", 7);
    /* and the second may start exactly where room ends */
    assert_int_equal(analytics_inflate(ANALYTICS_ENCODING_GZIP, packed, first + second, out, 7, &out_len),
                     ANALYTICS_INFLATE_OK);
    assert_int_equal(analytics_inflate(ANALYTICS_ENCODING_GZIP, packed, first + second, out, 5, &out_len),
                     ANALYTICS_INFLATE_TOO_LARGE);
}

static void
test_every_flipped_bit_is_caught_or_harmless(void **state)
{
    unsigned char  packed[512], out[512];
    size_t         packed_len, out_len;

    (void) state;
    packed_len = compress_with(31, body, sizeof(body) - 1, packed, sizeof(packed));
    for (size_t bit = 0; bit < packed_len * 8; bit++) {
        packed[bit / 8] ^= (unsigned char) (1u << (bit % 8));
        analytics_inflate_result result = analytics_inflate(ANALYTICS_ENCODING_GZIP, packed, packed_len, out,
                                                            sizeof(out), &out_len);
        assert_true(out_len <= sizeof(out));
        if (result == ANALYTICS_INFLATE_OK) {
            /* a header field (time, flags for nothing, the system): the same body */
            assert_int_equal(out_len, sizeof(body) - 1);
            assert_memory_equal(out, body, out_len);
        }
        packed[bit / 8] ^= (unsigned char) (1u << (bit % 8));
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encoding_names),
        cmocka_unit_test(test_each_format_inflates),
        cmocka_unit_test(test_room_is_a_hard_limit),
        cmocka_unit_test(test_a_zip_bomb_stops_at_room),
        cmocka_unit_test(test_truncated_and_trailing_bytes_are_corrupt),
        cmocka_unit_test(test_gzip_members_follow_one_another),
        cmocka_unit_test(test_every_flipped_bit_is_caught_or_harmless),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
