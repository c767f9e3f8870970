/*
 * Sharded streams. With N shards the module writes N streams, and each shard
 * has its own copy of what a call reads (tenants, products, visitor salts)
 * and its own rate keys, all under one hash tag: "{analytics}" for shard 0,
 * "{analytics-k}" for shard k. On a Redis Cluster each shard is then one
 * slot, and the shards spread over the nodes. A request goes to the shard its
 * rate-limit key hashes to, so the same client always meets the same shard
 * and its fleet-wide limit stays exact.
 */
#ifndef ANALYTICS_STREAM_SHARD_H
#define ANALYTICS_STREAM_SHARD_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ANALYTICS_MAX_SHARDS  16
#define ANALYTICS_SHARD_TAG   "{analytics}"

/* which of shards the text belongs to: FNV-1a, so it is the same on every
 * host of a fleet; 0 when shards is 0 or 1 */
unsigned analytics_shard_of(const char *text, size_t len, unsigned shards);

/*
 * key with its "{analytics}" tag made shard's ("{analytics}:events" becomes
 * "{analytics-2}:events" for shard 2; shard 0 keeps the key). Writes the
 * key and a NUL into out; returns its length, or 0 when key has no
 * "{analytics}" tag or out (cap bytes) is too small.
 */
size_t analytics_shard_key(const char *key, size_t len, unsigned shard, char *out, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
