/*
 * A web origin (RFC 6454): scheme, host and port, as a browser sends it in
 * the Origin header and as an operator registers a tenant's sites. Both
 * sides compare the normalised text: lowercase, no default port, no path.
 */
#ifndef ANALYTICS_WEB_ORIGIN_H
#define ANALYTICS_WEB_ORIGIN_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* "https://" + a 253-character name + ":65535" */
#define ANALYTICS_ORIGIN_MAX  270

/*
 * text (len bytes) as an origin: "http" or "https" (any case), "://", a host
 * name of letters, digits, hyphens and dots (no empty label, no label
 * starting or ending with a hyphen) or a bracketed IPv6 address, then an
 * optional port from 1 to 65535 and at most one trailing "/". Writes the
 * normalised origin and a NUL into out (lowercase; the port dropped when it
 * is the scheme's default, its leading zeros dropped otherwise); returns its
 * length, or 0 when text is no such origin ("null", a path, user info, a
 * query) or out (cap bytes) is too small.
 */
size_t analytics_origin_normalise(const char *text, size_t len, char *out, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
