/*
 * One FCALL of the collector, built in order in arrays of fixed size on the
 * caller's stack: the function, its keys, then its arguments, at the
 * positions event_contract/redis_keys.h names. Nothing is allocated; an
 * argument past the capacity marks the call broken and it is not sent.
 */
#ifndef NGX_HTTP_ANALYTICS_CALL_H
#define NGX_HTTP_ANALYTICS_CALL_H

#include "ngx_http_analytics_nginx.h"

#include "batch_request.h"
#include "fcall.h"
#include "funnel_track_request.h"
#include "stream_entry.h"


/*
 * The builder; the arrays it fills are its owner's (ngx_http_analytics_call_of
 * below), so that one type serves calls of every size.
 */
class ngx_http_analytics_call {
public:
    /* the arrays are pointed into by fcall_ and the numbers by argv_ */
    ngx_http_analytics_call(const ngx_http_analytics_call &) = delete;
    ngx_http_analytics_call &operator=(const ngx_http_analytics_call &) = delete;

    void key(const ngx_str_t &key)
    {
        analytics_fcall_key(&fcall_, reinterpret_cast<const char *>(key.data), key.len);
    }

    void arg(const char *value, size_t len) { analytics_fcall_arg(&fcall_, value, len); }

    void arg(const ngx_str_t &value)
    {
        analytics_fcall_arg(&fcall_, reinterpret_cast<const char *>(value.data), value.len);
    }

    void text(const char *text) { analytics_fcall_text(&fcall_, text); }

    /* at most ANALYTICS_FCALL_NUMBERS per call */
    void number(uint64_t n) { analytics_fcall_number(&fcall_, n); }

    /* the entry's fields as name, value pairs: the function's last arguments */
    void entry(const analytics_stream_entry &entry)
    {
        for (size_t i = 0; i < entry.count; i++) {
            analytics_fcall_text(&fcall_, entry.fields[i].name);
            analytics_fcall_arg(&fcall_, entry.fields[i].value, entry.fields[i].value_len);
        }
    }

    bool broken() const { return fcall_.broken != 0; }
    int argc() const { return static_cast<int>(fcall_.argc); }
    size_t keys() const { return fcall_.keys; }
    const char **argv() { return argv_; }
    size_t *argvlen() { return argvlen_; }

    /* where key or argument `index` (redis_keys.h) stands in argv */
    size_t key_at(size_t index) const { return analytics_fcall_key_at(&fcall_, index); }
    size_t arg_at(size_t index) const { return analytics_fcall_arg_at(&fcall_, index); }
    size_t arg_count() const { return analytics_fcall_arg_count(&fcall_); }

protected:
    ngx_http_analytics_call(const char *function, const char **argv, size_t *argvlen, size_t capacity)
        : argv_(argv), argvlen_(argvlen)
    {
        analytics_fcall_begin(&fcall_, argv_, argvlen_, capacity, function);
    }

private:
    const char      **argv_;
    size_t           *argvlen_;
    analytics_fcall   fcall_;
};


/* the arrays, a base of the owner so that they exist before the builder */
template <size_t Capacity>
struct ngx_http_analytics_call_space {
    const char  *space_argv[Capacity];
    size_t       space_argvlen[Capacity];
};

/* a call on the caller's stack with room for Capacity arguments */
template <size_t Capacity>
class ngx_http_analytics_call_of : private ngx_http_analytics_call_space<Capacity>,
                                   public ngx_http_analytics_call {
public:
    explicit ngx_http_analytics_call_of(const char *function)
        : ngx_http_analytics_call(function, this->space_argv, this->space_argvlen, Capacity)
    {
    }
};

/* one event's call: the head, the keys, the common and own arguments,
 * every step of a funnel, and an entry's name/value pairs */
using ngx_http_analytics_event_call =
    ngx_http_analytics_call_of<24 + ANALYTICS_FUNNEL_MAX_STEPS + 2 * ANALYTICS_STREAM_MAX_FIELDS>;

/* a batch request's: the head, then for each event its count, tenant,
 * product and entry (56 KB of stack at most, for the time of building it) */
using ngx_http_analytics_many_call =
    ngx_http_analytics_call_of<24 + ANALYTICS_BATCH_MAX_EVENTS * (3 + 2 * ANALYTICS_STREAM_MAX_FIELDS)>;

#endif
