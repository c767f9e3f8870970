/*
 * The spool's file format, written by the module and read back by it (and
 * by a successor that adopts the file). A file starts with
 * ANALYTICS_SPOOL_MAGIC; then records, in host order (a spool never leaves
 * its host):
 *
 *     u32 length    bytes after this field and the checksum
 *     u32 checksum  CRC-32 (zlib's) of the length field and those bytes
 *     u32 argc      then argc times: u32 length, the argument's bytes
 *
 * A file without the magic is the first format (no checksum field), left by
 * an older module. The reader trusts nothing: every length is checked
 * against the record, and a record whose checksum differs is damaged.
 */
#ifndef ANALYTICS_SPOOL_RECORD_H
#define ANALYTICS_SPOOL_RECORD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ANALYTICS_SPOOL_MAGIC        "analytics spool 2\n"
#define ANALYTICS_SPOOL_MAGIC_LEN    (sizeof(ANALYTICS_SPOOL_MAGIC) - 1)
#define ANALYTICS_SPOOL_MAX_ARGS     64
/* a whole record, heads included: what one replay read must hold */
#define ANALYTICS_SPOOL_MAX_RECORD   (256 * 1024)

typedef enum {
    ANALYTICS_SPOOL_FORMAT_1 = 1,   /* u32 length, u32 argc, ...: no checksum */
    ANALYTICS_SPOOL_FORMAT_2 = 2
} analytics_spool_format;

typedef enum {
    ANALYTICS_SPOOL_RECORD_OK,
    ANALYTICS_SPOOL_RECORD_PARTIAL,   /* its end is past what was given */
    ANALYTICS_SPOOL_RECORD_DAMAGED    /* not a record we wrote */
} analytics_spool_verdict;

typedef struct {
    size_t       size;   /* bytes the record takes, heads included */
    int          argc;
    const char  *argv[ANALYTICS_SPOOL_MAX_ARGS];
    size_t       argvlen[ANALYTICS_SPOOL_MAX_ARGS];
} analytics_spool_record;

/* the bytes a format 2 record of these arguments takes; 0 when it may not
 * be written (argc out of 1..ANALYTICS_SPOOL_MAX_ARGS, or past
 * ANALYTICS_SPOOL_MAX_RECORD) */
size_t analytics_spool_record_size(int argc, const size_t *argvlen);

/* the record's two head fields (length, checksum) for arguments whose
 * record_size is size; argc and the arguments follow them as the format says */
void analytics_spool_record_head(uint32_t head[2], int argc, const char *const *argv, const size_t *argvlen,
                                 size_t size);

/* reads the record at data (available bytes): its arguments point into data */
analytics_spool_verdict analytics_spool_record_read(const unsigned char *data, size_t available,
                                                    analytics_spool_format format, analytics_spool_record *out);

/*
 * The next whole record in data (len bytes), passing damaged bytes over
 * until a record reads whole again (its checksum holds): *skipped says how
 * many were passed, and an OK record starts after them. PARTIAL: no whole
 * record yet; the skipped bytes may be passed over, the rest waits for more.
 * With at_end (nothing will follow: a file no one appends to) a torn tail is
 * damage, so PARTIAL comes with *skipped == len.
 */
analytics_spool_verdict analytics_spool_next(const unsigned char *data, size_t len, int at_end,
                                             analytics_spool_format format, analytics_spool_record *out,
                                             size_t *skipped);

/* the format of a file that starts with these bytes (at least the magic's
 * length, or the whole file when shorter); 0 when a file this short may
 * still become either (a torn magic) */
int analytics_spool_file_format(const unsigned char *start, size_t len);

#ifdef __cplusplus
}
#endif

#endif
