/*
 * libFuzzer target for the spool reader: whatever bytes a spool file holds
 * (torn, flipped, zero-filled, made up), walking it as the module's replay
 * does ends, never reads past it, and every record it yields is whole and
 * reads back the same when written again.
 */
#include "spool_record.h"

#include <stdlib.h>
#include <string.h>

static void
check(int condition)
{
    if (!condition) {
        abort();
    }
}

/* the record written again from what was read: the same bytes */
static void
rewrite_matches(const unsigned char *at, const analytics_spool_record *record)
{
    static unsigned char  out[ANALYTICS_SPOOL_MAX_RECORD];
    uint32_t              head[2], field;
    size_t                size, pos;
    int                   i;

    size = analytics_spool_record_size(record->argc, record->argvlen);
    check(size == record->size);
    analytics_spool_record_head(head, record->argc, record->argv, record->argvlen, size);
    memcpy(out, head, sizeof(head));
    field = (uint32_t) record->argc;
    memcpy(out + 8, &field, 4);
    pos = 12;
    for (i = 0; i < record->argc; i++) {
        field = (uint32_t) record->argvlen[i];
        memcpy(out + pos, &field, 4);
        memcpy(out + pos + 4, record->argv[i], record->argvlen[i]);
        pos += 4 + record->argvlen[i];
    }
    check(pos == size && memcmp(out, at, size) == 0);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    analytics_spool_record   record;
    analytics_spool_verdict  verdict;
    analytics_spool_format   format;
    size_t                   pos, skipped;
    int                      i;

    if (size == 0) {
        return 0;
    }
    /* the first byte picks the format; the rest is the file */
    format = (data[0] & 1) ? ANALYTICS_SPOOL_FORMAT_2 : ANALYTICS_SPOOL_FORMAT_1;
    data++;
    size--;
    (void) analytics_spool_file_format(data, size < ANALYTICS_SPOOL_MAGIC_LEN ? size : ANALYTICS_SPOOL_MAGIC_LEN);

    for (pos = 0; pos < size; ) {
        verdict = analytics_spool_next(data + pos, size - pos, 1, format, &record, &skipped);
        check(skipped <= size - pos);
        pos += skipped;
        if (verdict != ANALYTICS_SPOOL_RECORD_OK) {
            check(pos == size);   /* at a file's end nothing waits */
            break;
        }
        check(record.size > 0 && record.size <= size - pos);
        check(record.argc >= 1 && record.argc <= ANALYTICS_SPOOL_MAX_ARGS);
        for (i = 0; i < record.argc; i++) {
            check((const unsigned char *) record.argv[i] >= data + pos);
            check((const unsigned char *) record.argv[i] + record.argvlen[i] <= data + pos + record.size);
        }
        if (format == ANALYTICS_SPOOL_FORMAT_2) {
            rewrite_matches(data + pos, &record);
        }
        pos += record.size;
    }
    return 0;
}
