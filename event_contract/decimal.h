/*
 * A number in decimal, written by hand: every tracked request writes about a
 * dozen (its stream entry's and its FCALL's), and snprintf was 2% of a
 * worker's CPU.
 */
#ifndef ANALYTICS_DECIMAL_H
#define ANALYTICS_DECIMAL_H

#include <stddef.h>
#include <stdint.h>

/* the longest: UINT64_MAX has 20 digits */
#define ANALYTICS_DECIMAL_MAX_LEN  20

/* n in decimal at out (room for ANALYTICS_DECIMAL_MAX_LEN + 1), NUL-terminated;
 * its length */
static inline size_t
analytics_decimal(char *out, uint64_t n)
{
    char    reversed[ANALYTICS_DECIMAL_MAX_LEN];
    size_t  len, i;

    len = 0;
    do {
        reversed[len++] = (char) ('0' + n % 10);
        n /= 10;
    } while (n > 0);
    for (i = 0; i < len; i++) {
        out[i] = reversed[len - 1 - i];
    }
    out[len] = '\0';
    return len;
}

#endif
