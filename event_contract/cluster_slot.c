#include "cluster_slot.h"

#include <stdint.h>
#include <string.h>

static uint16_t
analytics_crc16(const unsigned char *data, size_t len)
{
    uint16_t  crc;
    size_t    i;
    int       bit;

    crc = 0;
    for (i = 0; i < len; i++) {
        crc ^= (uint16_t) (data[i] << 8);
        for (bit = 0; bit < 8; bit++) {
            crc = (crc & 0x8000) ? (uint16_t) ((crc << 1) ^ 0x1021) : (uint16_t) (crc << 1);
        }
    }
    return crc;
}

unsigned
analytics_cluster_key_slot(const char *key, size_t len)
{
    const char  *open, *close;

    open = memchr(key, '{', len);
    if (open != NULL) {
        close = memchr(open + 1, '}', len - (size_t) (open + 1 - key));
        if (close != NULL && close > open + 1) {
            key = open + 1;
            len = (size_t) (close - key);
        }
    }
    return analytics_crc16((const unsigned char *) key, len) % ANALYTICS_CLUSTER_SLOTS;
}
