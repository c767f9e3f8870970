/*
 * Where a visit came from (docs/api.md "Interactions, sources and attribution"):
 * source, medium and campaign of a landing URL and its referrer.
 *
 * In order of precedence:
 *   1. utm_source (utm_medium, utm_campaign): as tagged; well-known source
 *      names are spelled one way ("google" and "GOOGLE" are "Google")
 *   2. wmktid: the custom-ads integration; source "Custom Ads", medium "cpc",
 *      campaign the wmkt_campaign slug (none: an implicit campaign)
 *   3. click ids: gclid Google / cpc, fbclid Facebook / cpc, msclkid Microsoft / cpc
 *   4. the referrer's host: a search engine is <engine> / organic, a social
 *      network <network> / social, any other site Referrer / referral; a
 *      referrer on the landing page's own host is navigation, not a source
 *   5. Direct / (none)
 * utm_campaign names the campaign whatever decided the source.
 *
 * Values are copied into fixed buffers and cut at their size, so one visit
 * costs a bounded amount of memory whatever the URL holds.
 */
#ifndef ANALYTICS_TRAFFIC_SOURCE_H
#define ANALYTICS_TRAFFIC_SOURCE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ANALYTICS_SOURCE_MAX_LEN   64
#define ANALYTICS_CAMPAIGN_MAX_LEN 128

typedef struct {
    char source[ANALYTICS_SOURCE_MAX_LEN + 1];
    char medium[ANALYTICS_SOURCE_MAX_LEN + 1];
    char campaign[ANALYTICS_CAMPAIGN_MAX_LEN + 1];      /* "" when none */
    char wmkt_id[ANALYTICS_SOURCE_MAX_LEN + 1];         /* "" unless custom ads */
    char campaign_slug[ANALYTICS_CAMPAIGN_MAX_LEN + 1]; /* wmkt_campaign, "" when none */
    int  direct;                                         /* nothing named a source */
} analytics_traffic_source;

/* either text may be NULL or empty; text that is not an absolute URL counts
 * as absent. Returns 0, or -1 when out of memory (the result is then Direct). */
int analytics_traffic_source_classify(const char *landing_url, size_t landing_len,
    const char *referrer, size_t referrer_len, analytics_traffic_source *out);

#ifdef __cplusplus
}
#endif

#endif
