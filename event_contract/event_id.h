/*
 * Event ids are UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random
 * bits, so ids sort by receive time and keep PostgreSQL btrees append-mostly.
 */
#ifndef ANALYTICS_EVENT_ID_H
#define ANALYTICS_EVENT_ID_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ANALYTICS_UUID_TEXT_LEN 36

/* random must hold 10 bytes; out receives 36 characters and a NUL */
void analytics_event_id_v7(uint64_t unix_ms, const unsigned char random[10],
    char out[ANALYTICS_UUID_TEXT_LEN + 1]);

/* 1 when text is a canonical 8-4-4-4-12 hex UUID (any version) */
int analytics_uuid_is_valid(const char *text, size_t len);

/* the 16 bytes of a canonical UUID (what analytics_uuid_is_valid accepts)
 * into out: 0, or -1 (out untouched) when text is not one */
int analytics_uuid_parse(const char *text, size_t len, unsigned char out[16]);

/* the millisecond timestamp of a v7 id, or -1 when text is not a v7 UUID */
int64_t analytics_event_id_unix_ms(const char *text, size_t len);

#ifdef __cplusplus
}
#endif

#endif
