/*
 * One FCALL's arguments as hiredis takes them (argv, argvlen), built in
 * order: the function, its keys, then its arguments. Positions are those of
 * redis_keys.h, counted from the first key or the first argument, so no
 * caller does index arithmetic on the raw argv. The call points into the
 * caller's arrays and into itself (numkeys and the numbers): it must not be
 * copied while in use.
 */
#ifndef ANALYTICS_FCALL_H
#define ANALYTICS_FCALL_H

#include "decimal.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ANALYTICS_FCALL_NUMBERS      4
#define ANALYTICS_FCALL_NUMBER_LEN   (ANALYTICS_DECIMAL_MAX_LEN + 1)

typedef struct {
    const char  **argv;
    size_t       *argvlen;
    size_t        capacity;
    size_t        argc;
    size_t        keys;
    /* an argument past the capacity, or a key after an argument: the call
     * is not to be sent */
    int           broken;
    char          numkeys[ANALYTICS_FCALL_NUMBER_LEN];
    char          numbers[ANALYTICS_FCALL_NUMBERS][ANALYTICS_FCALL_NUMBER_LEN];
    size_t        n_numbers;
} analytics_fcall;

void analytics_fcall_begin(analytics_fcall *call, const char **argv, size_t *argvlen,
    size_t capacity, const char *function);

/* a call already built (a copy of one): argc arguments, keys of them keys */
void analytics_fcall_adopt(analytics_fcall *call, const char **argv, size_t *argvlen, size_t argc,
    size_t keys);

/* keys first, every one before the first argument */
void analytics_fcall_key(analytics_fcall *call, const char *key, size_t len);
void analytics_fcall_arg(analytics_fcall *call, const char *value, size_t len);
void analytics_fcall_text(analytics_fcall *call, const char *text);
/* the number in decimal, kept in the call (at most ANALYTICS_FCALL_NUMBERS) */
void analytics_fcall_number(analytics_fcall *call, uint64_t n);

/* replaces key or argument `index` (redis_keys.h positions) */
void analytics_fcall_set_key(analytics_fcall *call, size_t index, const char *key, size_t len);
void analytics_fcall_set_arg(analytics_fcall *call, size_t index, const char *value, size_t len);

/* where key or argument `index` stands in argv */
size_t analytics_fcall_key_at(const analytics_fcall *call, size_t index);
size_t analytics_fcall_arg_at(const analytics_fcall *call, size_t index);
/* the number of arguments after the keys */
size_t analytics_fcall_arg_count(const analytics_fcall *call);

#ifdef __cplusplus
}
#endif

#endif
