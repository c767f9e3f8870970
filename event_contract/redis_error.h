/*
 * Which of Redis's error replies pass with time (memory, loading, a
 * failover, a cluster moving slots) and which say the command itself is
 * refused and will be again (an unknown function, wrong arguments): the
 * spool keeps replaying a call through the first kind, and sets a call
 * aside after the second kind repeats.
 */
#ifndef ANALYTICS_REDIS_ERROR_H
#define ANALYTICS_REDIS_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 1 when the error (its text, as Redis sent it) passes with time */
int analytics_redis_error_is_transient(const char *error, size_t len);

#ifdef __cplusplus
}
#endif

#endif
