#include "event_id.h"

static const char analytics_hex[] = "0123456789abcdef";

void
analytics_event_id_v7(uint64_t unix_ms, const unsigned char random[10],
    char out[ANALYTICS_UUID_TEXT_LEN + 1])
{
    unsigned char bytes[16];
    size_t        i, o;

    bytes[0] = (unsigned char) (unix_ms >> 40);
    bytes[1] = (unsigned char) (unix_ms >> 32);
    bytes[2] = (unsigned char) (unix_ms >> 24);
    bytes[3] = (unsigned char) (unix_ms >> 16);
    bytes[4] = (unsigned char) (unix_ms >> 8);
    bytes[5] = (unsigned char) unix_ms;
    for (i = 0; i < 10; i++) {
        bytes[6 + i] = random[i];
    }
    bytes[6] = (unsigned char) (0x70 | (bytes[6] & 0x0f));   /* version 7 */
    bytes[8] = (unsigned char) (0x80 | (bytes[8] & 0x3f));   /* variant 10 */

    o = 0;
    for (i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            out[o++] = '-';
        }
        out[o++] = analytics_hex[bytes[i] >> 4];
        out[o++] = analytics_hex[bytes[i] & 0x0f];
    }
    out[o] = '\0';
}

static int
analytics_hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int
analytics_uuid_is_valid(const char *text, size_t len)
{
    size_t i;

    if (len != ANALYTICS_UUID_TEXT_LEN) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (text[i] != '-') {
                return 0;
            }
        } else if (analytics_hex_value(text[i]) < 0) {
            return 0;
        }
    }
    return 1;
}

int
analytics_uuid_parse(const char *text, size_t len, unsigned char out[16])
{
    size_t i, o;

    if (!analytics_uuid_is_valid(text, len)) {
        return -1;
    }
    o = 0;
    for (i = 0; i < len; i += 2) {
        if (text[i] == '-') {
            i--;
            continue;
        }
        out[o++] = (unsigned char) (analytics_hex_value(text[i]) << 4 | analytics_hex_value(text[i + 1]));
    }
    return 0;
}

int64_t
analytics_event_id_unix_ms(const char *text, size_t len)
{
    int64_t ms;
    size_t  i;

    if (!analytics_uuid_is_valid(text, len) || text[14] != '7') {
        return -1;
    }
    ms = 0;
    for (i = 0; i < 13; i++) {
        if (i == 8) {
            continue;
        }
        ms = (ms << 4) | analytics_hex_value(text[i]);
    }
    return ms;
}
