/*
 * Redis Cluster's key slot: CRC16 (XMODEM) of the key's hash tag (the text
 * between the first '{' and the next '}', when not empty) or of the whole
 * key, modulo 16384. Every key of one module call shares the "{analytics}"
 * tag, so the call goes to the one node that owns that slot.
 */
#ifndef ANALYTICS_CLUSTER_SLOT_H
#define ANALYTICS_CLUSTER_SLOT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ANALYTICS_CLUSTER_SLOTS 16384

unsigned analytics_cluster_key_slot(const char *key, size_t len);

#ifdef __cplusplus
}
#endif

#endif
