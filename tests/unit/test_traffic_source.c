/* Source, medium and campaign of a landing URL and its referrer. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "traffic_source.h"

static analytics_traffic_source
classify(const char *landing, const char *referrer)
{
    analytics_traffic_source out;

    assert_int_equal(analytics_traffic_source_classify(landing, landing ? strlen(landing) : 0, referrer,
                                                       referrer ? strlen(referrer) : 0, &out), 0);
    return out;
}

static void
expect(const char *landing, const char *referrer, const char *source, const char *medium, const char *campaign)
{
    analytics_traffic_source out = classify(landing, referrer);

    assert_string_equal(out.source, source);
    assert_string_equal(out.medium, medium);
    assert_string_equal(out.campaign, campaign);
}

static void
test_utm_parameters_win_and_well_known_names_are_spelled_one_way(void **state)
{
    (void) state;
    expect("https://shop.example/?utm_source=google&utm_medium=CPC&utm_campaign=Spring%20Sale",
           "https://www.facebook.com/", "Google", "cpc", "Spring Sale");
    expect("https://shop.example/?utm_source=FB", NULL, "Facebook", "(not set)", "");
    expect("https://shop.example/?utm_source=newsletter+march&utm_medium=email", NULL,
           "newsletter march", "email", "");
    expect("https://shop.example/?UTM_SOURCE=bing&utm_source=ignored", NULL, "Bing", "(not set)", "");
}

static void
test_click_ids(void **state)
{
    (void) state;
    expect("https://shop.example/p?gclid=abc", "https://www.google.com/", "Google", "cpc", "");
    expect("https://shop.example/p?fbclid=abc&utm_campaign=summer", NULL, "Facebook", "cpc", "summer");
    expect("https://shop.example/p?msclkid=abc", NULL, "Microsoft", "cpc", "");
    expect("https://shop.example/p?gclid=", NULL, "Direct", "(none)", "");
}

static void
test_custom_ads(void **state)
{
    analytics_traffic_source out;
    (void) state;

    out = classify("https://shop.example/?wmktid=int-7&wmkt_campaign=black-friday", NULL);
    assert_string_equal(out.source, "Custom Ads");
    assert_string_equal(out.medium, "cpc");
    assert_string_equal(out.campaign, "black-friday");
    assert_string_equal(out.wmkt_id, "int-7");
    assert_string_equal(out.campaign_slug, "black-friday");

    out = classify("https://shop.example/?wmktid=int-7", NULL);
    assert_string_equal(out.wmkt_id, "int-7");
    assert_string_equal(out.campaign_slug, "");
    assert_string_equal(out.campaign, "");
}

static void
test_referrers(void **state)
{
    (void) state;
    expect("https://shop.example/", "https://www.google.co.uk/search?q=shoes", "Google", "organic", "");
    expect("https://shop.example/", "https://duckduckgo.com/", "DuckDuckGo", "organic", "");
    expect("https://shop.example/", "https://l.facebook.com/l.php?u=x", "Facebook", "social", "");
    expect("https://shop.example/", "https://t.co/abc", "Twitter", "social", "");
    expect("https://shop.example/", "https://www.linkedin.com/feed", "LinkedIn", "social", "");
    expect("https://shop.example/", "https://blog.example.org/post", "Referrer", "referral", "");
    expect("https://shop.example/", "https://notgoogle.com/", "Referrer", "referral", "");
    expect(NULL, "https://www.bing.com/", "Bing", "organic", "");
}

static void
test_direct(void **state)
{
    analytics_traffic_source out;
    (void) state;

    out = classify("https://shop.example/", NULL);
    assert_string_equal(out.source, "Direct");
    assert_string_equal(out.medium, "(none)");
    assert_int_equal(out.direct, 1);
    /* navigation inside the site is not a source */
    expect("https://www.shop.example/cart", "https://shop.example/product/1", "Direct", "(none)", "");
    expect(NULL, NULL, "Direct", "(none)", "");
    expect("not a url", "also not one", "Direct", "(none)", "");
    expect("/relative?utm_source=google", "", "Direct", "(none)", "");
    assert_int_equal(classify("https://shop.example/?utm_source=x", NULL).direct, 0);
}

static void
test_long_values_are_cut_to_their_buffers(void **state)
{
    char url[1200];
    analytics_traffic_source out;
    (void) state;

    strcpy(url, "https://shop.example/?utm_source=");
    memset(url + strlen(url), 'a', 500);
    url[33 + 500] = '\0';
    strcat(url, "&utm_campaign=");
    memset(url + strlen(url), 'b', 300);
    url[33 + 500 + 14 + 300] = '\0';
    out = classify(url, NULL);
    assert_int_equal(strlen(out.source), ANALYTICS_SOURCE_MAX_LEN);
    assert_int_equal(strlen(out.campaign), ANALYTICS_CAMPAIGN_MAX_LEN);
}

static void
test_decoded_bytes_become_valid_text(void **state)
{
    (void) state;
    expect("https://shop.example/?utm_source=caf%C3%A9&utm_campaign=%FFa%C3%0Ab%00c", NULL,
           "caf\xc3\xa9", "(not set)", "?a??b");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utm_parameters_win_and_well_known_names_are_spelled_one_way),
        cmocka_unit_test(test_click_ids),
        cmocka_unit_test(test_custom_ads),
        cmocka_unit_test(test_referrers),
        cmocka_unit_test(test_direct),
        cmocka_unit_test(test_long_values_are_cut_to_their_buffers),
        cmocka_unit_test(test_decoded_bytes_become_valid_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
