/*
 * What a Redis node says of its memory (INFO memory), and where the
 * module's high-water mark puts the line: read by the module, which stops
 * taking events above it, and by the aggregator's /metrics, from the same
 * text, so both speak of the same numbers.
 */
#ifndef ANALYTICS_REDIS_MEMORY_H
#define ANALYTICS_REDIS_MEMORY_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    unsigned long long  used;   /* used_memory: bytes the allocator holds for data */
    unsigned long long  max;    /* maxmemory; 0 when Redis has no limit */
} analytics_redis_memory;

/* used_memory and maxmemory from INFO's text (lines "name:value\r\n");
 * 0 when both were found, -1 when either is missing or not a number */
int analytics_redis_memory_read(const char *info, size_t len, analytics_redis_memory *memory);

/*
 * The mark in bytes: percent (1..100) of maxmemory, bytes, or the lower of
 * the two when both are set; 0 (no mark) when neither applies, as a percent
 * of a Redis without maxmemory does not.
 */
unsigned long long analytics_redis_high_water_mark(const analytics_redis_memory *memory, unsigned percent,
                                                   unsigned long long bytes);

#ifdef __cplusplus
}
#endif

#endif
