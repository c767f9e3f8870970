/* Web origins: what a tenant may register and how an Origin header compares. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "web_origin.h"

static const char *
normalised(const char *text)
{
    static char  out[ANALYTICS_ORIGIN_MAX + 1];

    if (analytics_origin_normalise(text, strlen(text), out, sizeof(out)) == 0) {
        return "(none)";
    }
    return out;
}

static void
test_origins_normalised(void **state)
{
    (void) state;
    assert_string_equal(normalised("https://shop.example"), "https://shop.example");
    assert_string_equal(normalised("HTTPS://Shop.Example/"), "https://shop.example");
    assert_string_equal(normalised("https://shop.example:443"), "https://shop.example");
    assert_string_equal(normalised("http://shop.example:80"), "http://shop.example");
    assert_string_equal(normalised("http://shop.example:443"), "http://shop.example:443");
    assert_string_equal(normalised("https://shop.example:08443"), "https://shop.example:8443");
    assert_string_equal(normalised("http://127.0.0.1:3000"), "http://127.0.0.1:3000");
    assert_string_equal(normalised("http://localhost"), "http://localhost");
    assert_string_equal(normalised("http://[::1]:8000"), "http://[::1]:8000");
    assert_string_equal(normalised("https://[2001:DB8::1]"), "https://[2001:db8::1]");
    assert_string_equal(normalised("https://xn--bcher-kva.example"), "https://xn--bcher-kva.example");
    assert_string_equal(normalised("https://a-b.c-d.example:65535"), "https://a-b.c-d.example:65535");
}

static void
test_what_is_no_origin(void **state)
{
    (void) state;
    assert_string_equal(normalised("null"), "(none)");
    assert_string_equal(normalised(""), "(none)");
    assert_string_equal(normalised("shop.example"), "(none)");
    assert_string_equal(normalised("ftp://shop.example"), "(none)");
    assert_string_equal(normalised("https://"), "(none)");
    assert_string_equal(normalised("https:///"), "(none)");
    assert_string_equal(normalised("https://shop.example/path"), "(none)");
    assert_string_equal(normalised("https://shop.example//"), "(none)");
    assert_string_equal(normalised("https://shop.example?q=1"), "(none)");
    assert_string_equal(normalised("https://user@shop.example"), "(none)");
    assert_string_equal(normalised("https://shop.example:0"), "(none)");
    assert_string_equal(normalised("https://shop.example:65536"), "(none)");
    assert_string_equal(normalised("https://shop.example:"), "(none)");
    assert_string_equal(normalised("https://shop.example:12a"), "(none)");
    assert_string_equal(normalised("https://shop..example"), "(none)");
    assert_string_equal(normalised("https://.shop.example"), "(none)");
    assert_string_equal(normalised("https://shop.example."), "(none)");
    assert_string_equal(normalised("https://-shop.example"), "(none)");
    assert_string_equal(normalised("https://shop-.example"), "(none)");
    assert_string_equal(normalised("https://shop_example.com"), "(none)");
    assert_string_equal(normalised("https://[::1"), "(none)");
    assert_string_equal(normalised("https://[::g]"), "(none)");
    assert_string_equal(normalised("https://[::1]x"), "(none)");
    assert_string_equal(normalised("https://shop.example\n"), "(none)");
    assert_string_equal(normalised("https://sh\"op.example"), "(none)");
}

static void
test_lengths(void **state)
{
    char  text[400], out[ANALYTICS_ORIGIN_MAX + 1];
    char  small[10];
    int   i;

    (void) state;
    /* 63 characters a label at most */
    strcpy(text, "https://");
    for (i = 0; i < 63; i++) text[8 + i] = 'a';
    strcpy(text + 8 + 63, ".example");
    assert_int_equal(analytics_origin_normalise(text, strlen(text), out, sizeof(out)), strlen(text));
    strcpy(text + 8, "a");
    for (i = 0; i < 64; i++) text[8 + i] = 'a';
    strcpy(text + 8 + 64, ".example");
    assert_int_equal(analytics_origin_normalise(text, strlen(text), out, sizeof(out)), 0);
    /* a name of 253 with the longest port fits ANALYTICS_ORIGIN_MAX */
    strcpy(text, "https://");
    for (i = 0; i < 253; i++) text[8 + i] = (i % 50 == 49) ? '.' : 'a';
    strcpy(text + 8 + 253, ":65535");
    assert_int_equal(analytics_origin_normalise(text, strlen(text), out, sizeof(out)), 8 + 253 + 6);
    /* 254 is too long */
    for (i = 0; i < 254; i++) text[8 + i] = (i % 50 == 49) ? '.' : 'a';
    text[8 + 254] = '\0';
    assert_int_equal(analytics_origin_normalise(text, strlen(text), out, sizeof(out)), 0);
    /* far past the maximum */
    memset(text, 'a', sizeof(text));
    memcpy(text, "https://", 8);
    assert_int_equal(analytics_origin_normalise(text, sizeof(text), out, sizeof(out)), 0);
    /* out too small */
    assert_int_equal(analytics_origin_normalise("https://shop.example", 20, small, sizeof(small)), 0);
    assert_int_equal(analytics_origin_normalise(NULL, 0, out, sizeof(out)), 0);
}

int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_origins_normalised),
        cmocka_unit_test(test_what_is_no_origin),
        cmocka_unit_test(test_lengths),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
