#include "stream_shard.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

unsigned
analytics_shard_of(const char *text, size_t len, unsigned shards)
{
    uint32_t  hash;
    size_t    i;

    if (shards <= 1) {
        return 0;
    }
    hash = 2166136261u;
    for (i = 0; i < len; i++) {
        hash ^= (unsigned char) text[i];
        hash *= 16777619u;
    }
    return hash % shards;
}

size_t
analytics_shard_key(const char *key, size_t len, unsigned shard, char *out, size_t cap)
{
    static const char  tag[] = ANALYTICS_SHARD_TAG;
    const size_t       tag_len = sizeof(tag) - 1;
    char               shard_tag[32];
    size_t             at, shard_tag_len, total;

    for (at = 0; at + tag_len <= len; at++) {
        if (memcmp(key + at, tag, tag_len) == 0) {
            break;
        }
    }
    if (at + tag_len > len) {
        return 0;
    }
    if (shard == 0) {
        memcpy(shard_tag, tag, tag_len);
        shard_tag_len = tag_len;
    } else {
        shard_tag_len = (size_t) snprintf(shard_tag, sizeof(shard_tag), "{analytics-%u}", shard);
    }
    total = len - tag_len + shard_tag_len;
    if (total + 1 > cap) {
        return 0;
    }
    memcpy(out, key, at);
    memcpy(out + at, shard_tag, shard_tag_len);
    memcpy(out + at + shard_tag_len, key + at + tag_len, len - at - tag_len);
    out[total] = '\0';
    return total;
}
