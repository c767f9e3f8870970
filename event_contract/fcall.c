#include "fcall.h"

#include <string.h>

/* FCALL <function> <numkeys> */
#define ANALYTICS_FCALL_HEAD  3


static void
analytics_fcall_push(analytics_fcall *call, const char *value, size_t len)
{
    if (call->argc >= call->capacity) {
        call->broken = 1;
        return;
    }
    call->argv[call->argc] = value;
    call->argvlen[call->argc] = len;
    call->argc++;
}


void
analytics_fcall_begin(analytics_fcall *call, const char **argv, size_t *argvlen, size_t capacity,
    const char *function)
{
    call->argv = argv;
    call->argvlen = argvlen;
    call->capacity = capacity;
    call->argc = 0;
    call->keys = 0;
    call->broken = 0;
    call->n_numbers = 0;
    analytics_fcall_push(call, "FCALL", 5);
    analytics_fcall_push(call, function, strlen(function));
    analytics_fcall_push(call, call->numkeys, analytics_decimal(call->numkeys, 0));
}


void
analytics_fcall_adopt(analytics_fcall *call, const char **argv, size_t *argvlen, size_t argc, size_t keys)
{
    call->argv = argv;
    call->argvlen = argvlen;
    call->capacity = argc;
    call->argc = argc;
    call->keys = keys;
    call->broken = argc < ANALYTICS_FCALL_HEAD + keys;
    call->n_numbers = ANALYTICS_FCALL_NUMBERS;
}


void
analytics_fcall_key(analytics_fcall *call, const char *key, size_t len)
{
    if (call->argc != ANALYTICS_FCALL_HEAD + call->keys) {
        call->broken = 1;
        return;
    }
    analytics_fcall_push(call, key, len);
    if (!call->broken) {
        call->keys++;
        call->argvlen[2] = analytics_decimal(call->numkeys, call->keys);
    }
}


void
analytics_fcall_arg(analytics_fcall *call, const char *value, size_t len)
{
    analytics_fcall_push(call, value, len);
}


void
analytics_fcall_text(analytics_fcall *call, const char *text)
{
    analytics_fcall_push(call, text, strlen(text));
}


void
analytics_fcall_number(analytics_fcall *call, uint64_t n)
{
    char  *text;

    if (call->n_numbers == ANALYTICS_FCALL_NUMBERS) {
        call->broken = 1;
        return;
    }
    text = call->numbers[call->n_numbers++];
    analytics_fcall_push(call, text, analytics_decimal(text, n));
}


size_t
analytics_fcall_key_at(const analytics_fcall *call, size_t index)
{
    (void) call;
    return ANALYTICS_FCALL_HEAD + index;
}


size_t
analytics_fcall_arg_at(const analytics_fcall *call, size_t index)
{
    return ANALYTICS_FCALL_HEAD + call->keys + index;
}


size_t
analytics_fcall_arg_count(const analytics_fcall *call)
{
    return call->argc - ANALYTICS_FCALL_HEAD - call->keys;
}


void
analytics_fcall_set_key(analytics_fcall *call, size_t index, const char *key, size_t len)
{
    if (index >= call->keys) {
        call->broken = 1;
        return;
    }
    call->argv[ANALYTICS_FCALL_HEAD + index] = key;
    call->argvlen[ANALYTICS_FCALL_HEAD + index] = len;
}


void
analytics_fcall_set_arg(analytics_fcall *call, size_t index, const char *value, size_t len)
{
    size_t  at;

    at = analytics_fcall_arg_at(call, index);
    if (at >= call->argc) {
        call->broken = 1;
        return;
    }
    call->argv[at] = value;
    call->argvlen[at] = len;
}
