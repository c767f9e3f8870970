#include "redis_error.h"

#include <string.h>

int
analytics_redis_error_is_transient(const char *error, size_t len)
{
    /* error codes are the reply's first word */
    static const char *const  transient[] = {
        "OOM", "LOADING", "BUSY", "MASTERDOWN", "READONLY", "TRYAGAIN", "CLUSTERDOWN", "MOVED", "ASK",
        "NOREPLICAS", "MISCONF", "NOSCRIPT", "UNBLOCKED", NULL
    };
    size_t                    code;

    if (error == NULL) {
        return 1;
    }
    for (code = 0; code < len && error[code] != ' '; code++) {
        /* void */
    }
    for (const char *const *t = transient; *t != NULL; t++) {
        if (strlen(*t) == code && memcmp(*t, error, code) == 0) {
            return 1;
        }
    }
    return 0;
}
