#include "spool_record.h"

#include <string.h>
#include <zlib.h>

#define FIELD  sizeof(uint32_t)

static uint32_t
read_u32(const unsigned char *at)
{
    uint32_t  value;

    memcpy(&value, at, FIELD);
    return value;
}

size_t
analytics_spool_record_size(int argc, const size_t *argvlen)
{
    size_t  size;
    int     i;

    if (argc < 1 || argc > ANALYTICS_SPOOL_MAX_ARGS) {
        return 0;
    }
    size = 3 * FIELD;
    for (i = 0; i < argc; i++) {
        if (argvlen[i] > ANALYTICS_SPOOL_MAX_RECORD) {
            return 0;
        }
        size += FIELD + argvlen[i];
    }
    return size > ANALYTICS_SPOOL_MAX_RECORD ? 0 : size;
}

void
analytics_spool_record_head(uint32_t head[2], int argc, const char *const *argv, const size_t *argvlen,
                            size_t size)
{
    uLong     crc;
    uint32_t  field;
    int       i;

    head[0] = (uint32_t) (size - 2 * FIELD);
    crc = crc32(0L, (const Bytef *) &head[0], FIELD);
    field = (uint32_t) argc;
    crc = crc32(crc, (const Bytef *) &field, FIELD);
    for (i = 0; i < argc; i++) {
        field = (uint32_t) argvlen[i];
        crc = crc32(crc, (const Bytef *) &field, FIELD);
        /* crc32() with no buffer starts again at 0: an empty argument
         * without a pointer (ngx_str_null) adds nothing instead */
        if (argvlen[i] > 0) {
            crc = crc32(crc, (const Bytef *) argv[i], (uInt) argvlen[i]);
        }
    }
    head[1] = (uint32_t) crc;
}

analytics_spool_verdict
analytics_spool_record_read(const unsigned char *data, size_t available, analytics_spool_format format,
                            analytics_spool_record *out)
{
    size_t    heads, length, at, end;
    uint32_t  argc, arg_len, i;

    heads = format == ANALYTICS_SPOOL_FORMAT_2 ? 2 * FIELD : FIELD;
    if (available < heads) {
        return ANALYTICS_SPOOL_RECORD_PARTIAL;
    }
    length = read_u32(data);
    /* the smallest record holds argc and one empty argument */
    if (length < 2 * FIELD || length > ANALYTICS_SPOOL_MAX_RECORD - heads) {
        return ANALYTICS_SPOOL_RECORD_DAMAGED;
    }
    end = heads + length;
    if (end > available) {
        return ANALYTICS_SPOOL_RECORD_PARTIAL;
    }
    if (format == ANALYTICS_SPOOL_FORMAT_2) {
        uLong  crc = crc32(0L, data, FIELD);

        crc = crc32(crc, data + heads, (uInt) length);
        if ((uint32_t) crc != read_u32(data + FIELD)) {
            return ANALYTICS_SPOOL_RECORD_DAMAGED;
        }
    }

    argc = read_u32(data + heads);
    if (argc == 0 || argc > ANALYTICS_SPOOL_MAX_ARGS) {
        return ANALYTICS_SPOOL_RECORD_DAMAGED;
    }
    at = heads + FIELD;
    for (i = 0; i < argc; i++) {
        if (end - at < FIELD) {
            return ANALYTICS_SPOOL_RECORD_DAMAGED;
        }
        arg_len = read_u32(data + at);
        at += FIELD;
        if (arg_len > end - at) {
            return ANALYTICS_SPOOL_RECORD_DAMAGED;
        }
        out->argv[i] = (const char *) data + at;
        out->argvlen[i] = arg_len;
        at += arg_len;
    }
    /* the arguments fill the record exactly */
    if (at != end) {
        return ANALYTICS_SPOOL_RECORD_DAMAGED;
    }
    out->argc = (int) argc;
    out->size = end;
    return ANALYTICS_SPOOL_RECORD_OK;
}

analytics_spool_verdict
analytics_spool_next(const unsigned char *data, size_t len, int at_end, analytics_spool_format format,
                     analytics_spool_record *out, size_t *skipped)
{
    analytics_spool_verdict  verdict;
    size_t                   i;

    for (i = 0; i < len; i++) {
        verdict = analytics_spool_record_read(data + i, len - i, format, out);
        if (verdict == ANALYTICS_SPOOL_RECORD_OK) {
            *skipped = i;
            return verdict;
        }
        /* a record always fits in ANALYTICS_SPOOL_MAX_RECORD bytes */
        if (verdict == ANALYTICS_SPOOL_RECORD_PARTIAL && !at_end && len - i < ANALYTICS_SPOOL_MAX_RECORD) {
            *skipped = i;
            return verdict;
        }
    }
    *skipped = len;
    return ANALYTICS_SPOOL_RECORD_PARTIAL;
}

int
analytics_spool_file_format(const unsigned char *start, size_t len)
{
    if (len >= ANALYTICS_SPOOL_MAGIC_LEN) {
        return memcmp(start, ANALYTICS_SPOOL_MAGIC, ANALYTICS_SPOOL_MAGIC_LEN) == 0 ? ANALYTICS_SPOOL_FORMAT_2
                                                                                  : ANALYTICS_SPOOL_FORMAT_1;
    }
    return memcmp(start, ANALYTICS_SPOOL_MAGIC, len) == 0 ? 0 : ANALYTICS_SPOOL_FORMAT_1;
}
