#include "redis_memory.h"

#include <string.h>

/* the value of the line "name:<digits>", or -1 */
static int
find_number(const char *info, size_t len, const char *name, unsigned long long *value)
{
    size_t       name_len = strlen(name);
    const char  *p = info, *end = info + len;

    while (p < end) {
        const char  *line_end = memchr(p, '\n', (size_t) (end - p));

        if (line_end == NULL) {
            line_end = end;
        }
        if ((size_t) (line_end - p) > name_len && memcmp(p, name, name_len) == 0 && p[name_len] == ':') {
            const char          *q = p + name_len + 1;
            unsigned long long   n = 0;
            int                  digits = 0;

            for (; q < line_end && *q >= '0' && *q <= '9'; q++, digits++) {
                if (n > (~0ULL - 9) / 10) {
                    return -1;
                }
                n = n * 10 + (unsigned long long) (*q - '0');
            }
            /* only the line's end may follow */
            if (digits == 0 || (q < line_end && !(*q == '\r' && q + 1 == line_end))) {
                return -1;
            }
            *value = n;
            return 0;
        }
        p = line_end + 1;
    }
    return -1;
}


int
analytics_redis_memory_read(const char *info, size_t len, analytics_redis_memory *memory)
{
    if (info == NULL || find_number(info, len, "used_memory", &memory->used) != 0
        || find_number(info, len, "maxmemory", &memory->max) != 0)
    {
        return -1;
    }
    return 0;
}


unsigned long long
analytics_redis_high_water_mark(const analytics_redis_memory *memory, unsigned percent, unsigned long long bytes)
{
    unsigned long long  mark = bytes;

    if (percent > 0 && percent <= 100 && memory->max > 0) {
        unsigned long long  share = memory->max / 100 * percent + memory->max % 100 * percent / 100;

        if (mark == 0 || share < mark) {
            mark = share;
        }
    }
    return mark;
}
