#include "body_encoding.h"

#include <string.h>
#include <strings.h>
#include <zlib.h>

/* zlib's window bits: 15 and a zlib header; +16 a gzip header; negative raw */
#define ANALYTICS_ZLIB_WINDOW  15

static analytics_inflate_result analytics_inflate_with(int window_bits, const unsigned char *in, size_t len,
                                                       unsigned char *out, size_t room, size_t *out_len);

analytics_content_encoding
analytics_content_encoding_of(const char *value, size_t len)
{
    while (len > 0 && (*value == ' ' || *value == '\t')) {
        value++;
        len--;
    }
    while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t')) {
        len--;
    }
    if (len == 0 || (len == 8 && strncasecmp(value, "identity", 8) == 0)) {
        return ANALYTICS_ENCODING_IDENTITY;
    }
    if ((len == 4 && strncasecmp(value, "gzip", 4) == 0) || (len == 6 && strncasecmp(value, "x-gzip", 6) == 0)) {
        return ANALYTICS_ENCODING_GZIP;
    }
    if (len == 7 && strncasecmp(value, "deflate", 7) == 0) {
        return ANALYTICS_ENCODING_DEFLATE;
    }
    return ANALYTICS_ENCODING_UNSUPPORTED;
}

analytics_inflate_result
analytics_inflate(analytics_content_encoding encoding, const unsigned char *in, size_t len, unsigned char *out,
                  size_t room, size_t *out_len)
{
    analytics_inflate_result  result;

    *out_len = 0;
    switch (encoding) {
    case ANALYTICS_ENCODING_GZIP:
        return analytics_inflate_with(ANALYTICS_ZLIB_WINDOW + 16, in, len, out, room, out_len);
    case ANALYTICS_ENCODING_DEFLATE:
        /* RFC 9110's deflate is zlib's format; some clients send the raw
         * stream, which a zlib header check tells apart */
        result = analytics_inflate_with(ANALYTICS_ZLIB_WINDOW, in, len, out, room, out_len);
        if (result == ANALYTICS_INFLATE_CORRUPT && *out_len == 0) {
            result = analytics_inflate_with(-ANALYTICS_ZLIB_WINDOW, in, len, out, room, out_len);
        }
        return result;
    default:
        return ANALYTICS_INFLATE_CORRUPT;
    }
}

static analytics_inflate_result
analytics_inflate_with(int window_bits, const unsigned char *in, size_t len, unsigned char *out, size_t room,
                       size_t *out_len)
{
    int                       rc, full;
    unsigned char             probe;
    z_stream                  zs;
    analytics_inflate_result  result;

    *out_len = 0;
    if (len == 0 || len > (size_t) (uInt) -1 || room > (size_t) (uInt) -1) {
        return ANALYTICS_INFLATE_CORRUPT;
    }
    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, window_bits) != Z_OK) {
        return ANALYTICS_INFLATE_CORRUPT;
    }
    zs.next_in = (Bytef *) in;
    zs.avail_in = (uInt) len;

    /* once out is full, what follows goes to a one-byte probe: any byte
     * there is one too many, and the end of the stream there is a body of
     * exactly room bytes */
    full = room == 0;
    zs.next_out = full ? &probe : out;
    zs.avail_out = full ? 1 : (uInt) room;

    for (;;) {
        rc = inflate(&zs, Z_NO_FLUSH);
        if (full && zs.avail_out == 0) {
            result = ANALYTICS_INFLATE_TOO_LARGE;
            break;
        }
        if (!full && zs.avail_out == 0) {
            full = 1;
            *out_len = room;
            zs.next_out = &probe;
            zs.avail_out = 1;
            if (rc == Z_BUF_ERROR) {
                continue;   /* it only wanted room */
            }
        }
        if (rc == Z_STREAM_END) {
            if (zs.avail_in == 0) {
                result = ANALYTICS_INFLATE_OK;
                break;
            }
            /* gzip members may follow one another; anything else after the
             * end is not the body */
            if (window_bits <= ANALYTICS_ZLIB_WINDOW || inflateReset(&zs) != Z_OK) {
                result = ANALYTICS_INFLATE_CORRUPT;
                break;
            }
            continue;
        }
        if (rc == Z_OK) {
            continue;
        }
        /* Z_BUF_ERROR with room to write: the input ended mid-stream; or
         * Z_DATA_ERROR, Z_NEED_DICT, Z_MEM_ERROR */
        result = ANALYTICS_INFLATE_CORRUPT;
        break;
    }
    if (!full) {
        *out_len = (size_t) (zs.next_out - out);
    }
    inflateEnd(&zs);
    return result;
}
