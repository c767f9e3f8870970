/*
 * An endpoint's call to Redis: where it goes (the shard and the rate key),
 * the arguments every call starts with, the ingest call itself, and what
 * happens to its answer: read once for every endpoint, or, when none comes
 * or Redis is away, the host's own limit and the spool.
 */
#include "ngx_http_analytics_module.h"
#include "ngx_http_analytics_call.h"
#include "ngx_http_analytics_local_limit.h"
#include "ngx_http_analytics_metrics.h"
#include "ngx_http_analytics_bots.h"

#include "redis_keys.h"

#include <sys/random.h>


static ngx_int_t ngx_http_analytics_ingest_begin(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_flag_t has_events, ngx_flag_t writes);
static ngx_int_t ngx_http_analytics_ingest_send(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_http_analytics_call &call, ngx_flag_t writes, ngx_flag_t joins_turn);
static void ngx_http_analytics_call_done(ngx_http_request_t *r, redisReply *reply);
static void ngx_http_analytics_read_answer(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    redisReply *reply, ngx_http_analytics_answer_t *answer);
static ngx_int_t ngx_http_analytics_without_redis(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_http_analytics_sent_call_t *call);
static void ngx_http_analytics_keep_call(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_http_analytics_call &call);
static ngx_int_t ngx_http_analytics_spool_event(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_http_analytics_sent_call_t *call);
static void ngx_http_analytics_spool_synced(ngx_http_request_t *r, ngx_flag_t synced);
static ngx_int_t ngx_http_analytics_answer_accepted(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx);
static ngx_int_t ngx_http_analytics_left_out(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_http_analytics_skip_reason_e *reason);
static ngx_int_t ngx_http_analytics_visitor_source(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_str_t *source);
static ngx_int_t ngx_http_analytics_country(ngx_http_request_t *r, ngx_http_analytics_loc_conf_t *alcf,
    ngx_str_t *country);
static void ngx_http_analytics_event_random(unsigned char random[10]);


/* per worker; seeded from the kernel so hosts with equal pids never collide */
static uint64_t  ngx_http_analytics_random_state;


/*
 * <shard tag>:rate:<group>:<key value>[:<tenant>], and the shard: the one
 * the rest of the key hashes to, so that a client meets one shard and one
 * count across the fleet; without a limit, the one its address hashes to.
 * Marking orders and funnel/track read what only the first shard holds.
 */
ngx_int_t
ngx_http_analytics_route(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx)
{
    ngx_str_t                        none = ngx_string("-");
    ngx_str_t                        value, *tenant, *tag, *key;
    u_char                          *rest;
    ngx_uint_t                       shard;
    ngx_http_analytics_loc_conf_t   *alcf;
    ngx_http_analytics_main_conf_t  *amcf;

    alcf = ngx_http_analytics_loc_conf(r);
    amcf = ngx_http_analytics_main_conf(r);
    key = &ctx->route.rate_key;

    if (!alcf->rate.enabled) {
        value = r->connection->addr_text;
    } else if (ngx_http_complex_value(r, alcf->rate.key, &value) != NGX_OK) {
        return NGX_ERROR;
    }
    tenant = ctx->tenant.len > 0 ? &ctx->tenant : &none;
    key->data = static_cast<u_char *>(ngx_pnalloc(r->pool,
        sizeof("{analytics-99}" ANALYTICS_RATE_KEY_INFIX "::") - 1 + alcf->rate.group.len + value.len
        + tenant->len));
    if (key->data == NULL) {
        return NGX_ERROR;
    }

    /* the key's rest first, to pick the shard; then the tag before it */
    rest = key->data + sizeof("{analytics-99}") - 1;
    if (!alcf->rate.enabled) {
        key->len = ngx_sprintf(rest, ANALYTICS_RATE_KEY_INFIX "off") - rest;
    } else if (alcf->rate.per_tenant) {
        key->len = ngx_sprintf(rest, ANALYTICS_RATE_KEY_INFIX "%V:%V:%V", &alcf->rate.group, &value, tenant)
                   - rest;
    } else {
        key->len = ngx_sprintf(rest, ANALYTICS_RATE_KEY_INFIX "%V:%V", &alcf->rate.group, &value) - rest;
    }

    if (ctx->endpoint->first_shard) {
        shard = 0;
    } else if (alcf->rate.enabled) {
        shard = analytics_shard_of(reinterpret_cast<const char *>(rest), key->len, amcf->n_shards);
    } else {
        shard = analytics_shard_of(reinterpret_cast<const char *>(value.data), value.len, amcf->n_shards);
    }
    ctx->route.shard = shard;

    tag = &amcf->shards[shard].tag;
    key->data = rest - tag->len;
    ngx_memcpy(key->data, tag->data, tag->len);
    key->len += tag->len;
    return NGX_OK;
}


/* the keys and arguments every collector call starts with (redis_keys.h),
 * on ctx's route; own_keys follow the common keys */
void
ngx_http_analytics_call_head(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_http_analytics_call &call, const ngx_str_t *own_keys, ngx_uint_t n_own, const char *action)
{
    ngx_uint_t                       i;
    ngx_http_analytics_shard_t      *shard;
    ngx_http_analytics_loc_conf_t   *alcf;

    alcf = ngx_http_analytics_loc_conf(r);
    shard = &ngx_http_analytics_main_conf(r)->shards[ctx->route.shard];

    call.key(shard->tenants_key);
    call.key(shard->stream);
    call.key(ctx->route.rate_key);
    call.key(shard->salts_key);
    for (i = 0; i < n_own; i++) {
        call.key(own_keys[i]);
    }

    call.text(action);
    call.number(alcf->rate.enabled ? alcf->rate.limit : 0);
    call.number(alcf->rate.period);
    call.text(ctx->endpoint->lookup);
}


/* a call other than ingest (marking an order, funnel/track): alone on the
 * connection; NGX_OK once queued */
ngx_int_t
ngx_http_analytics_send_call(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_http_analytics_call &call)
{
    if (call.broken()) {
        return NGX_ERROR;
    }
    /* they write an entry too: a full shard takes none */
    if (ngx_http_analytics_redis_full(ctx->route.shard)) {
        return NGX_DECLINED;
    }
    return ngx_http_analytics_redis_send(r, ctx->route.shard, ngx_http_analytics_call_done, call.argc(),
                                         call.argv(), call.argvlen());
}


/*
 * One ingest call: the rate limit, then (with an event) the tenant check and
 * the XADD. Without an event only the limit is counted and ctx's decided
 * answer is sent. Returns NGX_DONE once queued, else what sending an answer
 * returned.
 */
ngx_int_t
ngx_http_analytics_ingest(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    analytics_outgoing_event *event)
{
    ngx_int_t                        rc;
    ngx_str_t                        origin;
    analytics_stream_entry           entry;
    ngx_http_analytics_main_conf_t  *amcf;

    amcf = ngx_http_analytics_main_conf(r);

    rc = ngx_http_analytics_ingest_begin(r, ctx, event != NULL, event != NULL && !ctx->answer_status);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    ngx_http_analytics_event_call  call(ANALYTICS_FUNCTION_INGEST);

    ngx_http_analytics_call_head(r, ctx, call, &amcf->shards[ctx->route.shard].products_key, 1,
                                 event != NULL ? "write" : "count");
    if (event == NULL) {
        for (ngx_uint_t i = ANALYTICS_INGEST_ARG_TENANT; i < ANALYTICS_INGEST_ARG_ENTRY; i++) {
            call.arg("", 0);
        }

    } else {
        analytics_outgoing_event_encode(event, &entry);
        call.arg(event->tenant_ref, event->tenant_ref_len);
        if (ngx_http_analytics_call_visitor(r, ctx, call) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
        if (event->has_product_id && ctx->endpoint->product_must_exist) {
            call.text(event->product_id);
        } else {
            call.arg("", 0);
        }
        if (ngx_http_analytics_origin_to_check(r, ctx->endpoint, &origin) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
        call.arg(origin);
        call.entry(entry);
    }
    if (call.broken()) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    return ngx_http_analytics_ingest_send(r, ctx, call, event != NULL && !ctx->answer_status, 1);
}


/*
 * A batch request's call: the limit taken once at the cost of all the
 * events the body held, then each valid event written as ingest writes one,
 * into one stream entry. The events are one visitor's (one client, one
 * page): they share the visitor's arguments.
 */
ngx_int_t
ngx_http_analytics_ingest_many(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    analytics_outgoing_event *events, ngx_uint_t n)
{
    u_char                          *counts, *count;
    ngx_int_t                        rc;
    ngx_str_t                        origin;
    ngx_uint_t                       i;
    analytics_stream_entry          *entries;
    ngx_http_analytics_main_conf_t  *amcf;

    amcf = ngx_http_analytics_main_conf(r);

    rc = ngx_http_analytics_ingest_begin(r, ctx, n > 0, n > 0);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    /* what the call points to lives in the pool until it is sent */
    entries = static_cast<analytics_stream_entry *>(ngx_palloc(r->pool, (n + 1) * sizeof(analytics_stream_entry)));
    counts = static_cast<u_char *>(ngx_pnalloc(r->pool, (n + 1) * NGX_INT_T_LEN));
    if (entries == NULL || counts == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_analytics_many_call  call(ANALYTICS_FUNCTION_INGEST_MANY);

    ngx_http_analytics_call_head(r, ctx, call, &amcf->shards[ctx->route.shard].products_key, 1,
                                 n > 0 ? "write" : "count");
    call.number(ctx->cost);
    if (n == 0) {
        call.arg("", 0);
        call.arg("", 0);
    } else if (ngx_http_analytics_call_visitor(r, ctx, call) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    call.number(n);
    ngx_str_set(&origin, "");
    if (n > 0 && ngx_http_analytics_origin_to_check(r, ctx->endpoint, &origin) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    call.arg(origin);
    ctx->batch_sent = n;

    for (i = 0; i < n; i++) {
        analytics_outgoing_event_encode(&events[i], &entries[i]);
        count = counts + i * NGX_INT_T_LEN;
        call.arg(reinterpret_cast<const char *>(count),
                 ngx_sprintf(count, "%uz", 2 + 2 * entries[i].count) - count);
        call.arg(events[i].tenant_ref, events[i].tenant_ref_len);
        if (events[i].has_product_id && ctx->endpoint->product_must_exist) {
            call.text(events[i].product_id);
        } else {
            call.arg("", 0);
        }
        call.entry(entries[i]);
    }
    if (call.broken()) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    return ngx_http_analytics_ingest_send(r, ctx, call, n > 0, 0);
}


/*
 * What every ingest call meets before it is built (has_events: it carries
 * events; writes: they are to be kept). Without events and without a
 * limit to count, the decided answer goes at once. A valid event an
 * operator's rule or the bots list leaves out is answered as accepted and
 * goes nowhere, not even to the limit; an invalid one still gets its error,
 * so a developer whose browser sends DNT sees what is wrong. Then the
 * route. NGX_DECLINED: build and send the call; else r was answered.
 */
static ngx_int_t
ngx_http_analytics_ingest_begin(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx, ngx_flag_t has_events,
    ngx_flag_t writes)
{
    ngx_int_t                         rc;
    ngx_http_analytics_skip_reason_e  reason;

    if (!has_events && !ngx_http_analytics_loc_conf(r)->rate.enabled) {
        return ngx_http_analytics_send_json(r, ctx->answer_status, &ctx->answer_body);
    }
    if (writes) {
        rc = ngx_http_analytics_left_out(r, ctx, &reason);
        if (rc == NGX_ERROR) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
        if (rc == NGX_OK) {
            ngx_http_analytics_metrics_skipped(ngx_http_analytics_loc_conf(r)->endpoint, reason);
            return ngx_http_analytics_answer_accepted(r, ctx);
        }
    }
    if (ngx_http_analytics_route(r, ctx) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    return NGX_DECLINED;
}


/*
 * Sends an ingest call (writes: it carries events to keep, not only the
 * limit to count): in this turn's batch when it may join one, else alone;
 * without Redis, to the host's limit and the spool. NGX_DONE once queued.
 */
static ngx_int_t
ngx_http_analytics_ingest_send(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx, ngx_http_analytics_call &call,
    ngx_flag_t writes, ngx_flag_t joins_turn)
{
    ngx_int_t                        rc;
    ngx_http_analytics_answer_t      answer;
    ngx_http_analytics_sent_call_t   unsent;

    /* above the high-water mark an event is answered as when Redis and the
     * spool are both away: the spool would only move a stopped drain's
     * backlog onto every host's disk, to be replayed into the same Redis */
    if (writes && ngx_http_analytics_redis_full(ctx->route.shard)) {
        ngx_memzero(&answer, sizeof(answer));
        return ctx->endpoint->reply(r, ctx, &answer);
    }

    /* the call joins this turn's batch, which copies it; one too large for
     * a batch goes alone (hiredis copies it into its output buffer) */
    rc = NGX_DECLINED;
    if (joins_turn) {
        rc = ngx_http_analytics_redis_batch(r, ctx->route.shard, ngx_http_analytics_call_done, 1,
                                            &call.argv()[call.key_at(ANALYTICS_FCALL_KEY_RATE)],
                                            &call.argvlen()[call.key_at(ANALYTICS_FCALL_KEY_RATE)],
                                            (int) call.arg_count(), &call.argv()[call.arg_at(0)],
                                            &call.argvlen()[call.arg_at(0)]);
    }
    if (rc != NGX_OK) {
        rc = ngx_http_analytics_redis_send(r, ctx->route.shard, ngx_http_analytics_call_done, call.argc(),
                                           call.argv(), call.argvlen());
    }
    if (rc == NGX_OK) {
        if (writes && ngx_http_analytics_main_conf(r)->spool.path != NULL) {
            ngx_http_analytics_keep_call(r, ctx, call);
        }
        return NGX_DONE;
    }

    unsent.argv = call.argv();
    unsent.argvlen = call.argvlen();
    unsent.argc = call.argc();
    unsent.keys = call.keys();
    rc = ngx_http_analytics_without_redis(r, ctx, writes ? &unsent : NULL);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    /* what was decided is answered anyway (the limit fails open); without a
     * spool an event cannot be accepted yet */
    ngx_memzero(&answer, sizeof(answer));
    return ctx->endpoint->reply(r, ctx, &answer);
}


/* every call's answer, on the Redis connection's event */
static void
ngx_http_analytics_call_done(ngx_http_request_t *r, redisReply *reply)
{
    ngx_int_t                     rc;
    ngx_connection_t             *c;
    ngx_http_analytics_ctx_t     *ctx;
    ngx_http_analytics_answer_t   answer;

    c = r->connection;

    try {
        ctx = static_cast<ngx_http_analytics_ctx_t *>(ngx_http_get_module_ctx(r, ngx_http_analytics_module));
        ngx_http_analytics_read_answer(r, ctx, reply, &answer);
        ngx_http_analytics_redis_memory_refused(ctx->route.shard, reply);

        /* no answer for an event (the connection dropped or timed out, a
         * MOVED or ASK while the cluster moves our slot): spooled, as if
         * Redis had been out of reach when it came. If Redis did write it
         * before the answer was lost, the replay adds an entry with the
         * same event id, which the aggregator keeps once. */
        rc = NGX_DECLINED;
        if (answer.status == 0 && ctx->sent != NULL) {
            rc = ngx_http_analytics_without_redis(r, ctx, ctx->sent);
        }
        if (rc == NGX_DECLINED) {
            rc = ngx_http_analytics_send_answer(r, ctx, &answer);
        }
        /* NGX_DONE: spooled, answered after the spool's sync */
        if (rc != NGX_DONE) {
            ngx_http_finalize_request(r, rc);
        }

    } catch (...) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }

    /* we resumed r from the Redis connection's event, not its own */
    ngx_http_run_posted_requests(c);
}


/* {status, limit, remaining, retry after} and the rate headers they give */
static void
ngx_http_analytics_read_answer(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx, redisReply *reply,
    ngx_http_analytics_answer_t *answer)
{
    ngx_uint_t  i;
    ngx_int_t   limit, remaining;

    answer->status = 0;
    answer->retry_after = 1;
    answer->reply = reply;

    if (reply != NULL && reply->type == REDIS_REPLY_ARRAY && reply->elements >= ANALYTICS_ANSWER_OWN) {
        for (i = 0; i < ANALYTICS_ANSWER_OWN; i++) {
            if (reply->element[i]->type != REDIS_REPLY_INTEGER) {
                break;
            }
        }
        if (i == ANALYTICS_ANSWER_OWN) {
            answer->status = reply->element[ANALYTICS_ANSWER_STATUS]->integer;
            limit = reply->element[ANALYTICS_ANSWER_LIMIT]->integer;
            remaining = reply->element[ANALYTICS_ANSWER_REMAINING]->integer;
            answer->retry_after = reply->element[ANALYTICS_ANSWER_RETRY_AFTER]->integer;

            if (limit > 0 && ngx_http_analytics_rate_headers(r, limit, remaining) != NGX_OK) {
                answer->status = -1;
            }
        }
        /* an event written answers its entry's id too; a batch its events' */
        if (answer->status == 202 && reply->elements != ANALYTICS_ANSWER_OWN + 1) {
            answer->status = 0;
        }
        if (answer->status == NGX_HTTP_ANALYTICS_MULTI_STATUS
            && reply->elements != ANALYTICS_INGEST_MANY_ANSWER_EVENTS + ctx->batch_sent)
        {
            answer->status = 0;
        }
    }

    if (answer->status == 0) {
        if (reply != NULL && reply->type == REDIS_REPLY_ERROR) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0, "analytics: redis: %s", reply->str);
        } else if (reply != NULL) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0, "analytics: unexpected ingest reply");
        }
    }
}


/*
 * Redis is out of reach, or its answer was lost: the host's own limit stands
 * in for the fleet's (its headers, or a 429), then an event (call set) goes
 * to the spool and is answered as accepted. NGX_DECLINED when neither
 * answered (no call, no spool, or it is full): the caller answers as
 * without Redis.
 */
static ngx_int_t
ngx_http_analytics_without_redis(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_http_analytics_sent_call_t *call)
{
    ngx_int_t                        rc, remaining, retry_after;
    ngx_http_analytics_loc_conf_t   *alcf;
    ngx_http_analytics_main_conf_t  *amcf;

    alcf = ngx_http_analytics_loc_conf(r);
    amcf = ngx_http_analytics_main_conf(r);

    if (alcf->rate.enabled && amcf->local_limit != NULL) {
        retry_after = 1;
        rc = ngx_http_analytics_local_limit_take(amcf->local_limit, &ctx->route.rate_key, alcf->rate.limit,
                                                 alcf->rate.period, ctx->cost, &remaining, &retry_after);
        if (ngx_http_analytics_rate_headers(r, alcf->rate.limit, remaining) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
        if (rc == NGX_BUSY) {
            ngx_http_analytics_retry_after(r, retry_after);
            return ngx_http_analytics_send_refusal(r, ctx->endpoint->family, NGX_HTTP_TOO_MANY_REQUESTS);
        }
    }
    if (call == NULL) {
        return NGX_DECLINED;
    }
    return ngx_http_analytics_spool_event(r, ctx, call);
}


/* a copy of the call sent, in the request's pool, for a lost answer to
 * spool; without memory it is not kept, and a lost answer is a 503 */
static void
ngx_http_analytics_keep_call(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_http_analytics_call &call)
{
    size_t                           size;
    u_char                          *p;
    ngx_uint_t                       i, argc;
    ngx_http_analytics_sent_call_t  *sent;

    argc = call.argc();
    size = 0;
    for (i = 0; i < argc; i++) {
        size += call.argvlen()[i];
    }
    sent = static_cast<ngx_http_analytics_sent_call_t *>(ngx_palloc(r->pool, sizeof(*sent)));
    if (sent == NULL) {
        return;
    }
    sent->argv = static_cast<const char **>(ngx_palloc(r->pool, argc * sizeof(const char *)));
    sent->argvlen = static_cast<size_t *>(ngx_palloc(r->pool, argc * sizeof(size_t)));
    p = static_cast<u_char *>(ngx_pnalloc(r->pool, size));
    if (sent->argv == NULL || sent->argvlen == NULL || p == NULL) {
        return;
    }
    for (i = 0; i < argc; i++) {
        sent->argv[i] = reinterpret_cast<const char *>(p);
        sent->argvlen[i] = call.argvlen()[i];
        if (call.argvlen()[i] > 0) {   /* an empty argument's pointer may be NULL */
            p = ngx_cpymem(p, call.argv()[i], call.argvlen()[i]);
        }
    }
    sent->argc = argc;
    sent->keys = call.keys();
    ctx->sent = sent;
}


/*
 * Spools an accepted event's ingest call for replay (as ingest wrote it,
 * made to write without a limit, a rate key or the visitor's address and
 * agent: the client's address never reaches the disk) and answers it as
 * accepted. NGX_DECLINED when the spool is full or off.
 */
static ngx_int_t
ngx_http_analytics_spool_event(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_http_analytics_sent_call_t *call)
{
    static const char                replay_rate_key[] = ANALYTICS_RATE_KEY_REPLAY;
    static const char                tracker[] = "tracker\n";
    size_t                           visitor;
    analytics_fcall                  spooled;
    ngx_http_analytics_shard_t      *shard;

    analytics_fcall_adopt(&spooled, call->argv, call->argvlen, call->argc, call->keys);
    if (spooled.broken || analytics_fcall_arg_count(&spooled) < ANALYTICS_INGEST_ARG_ENTRY) {
        return NGX_DECLINED;
    }

    /* replayed into the spool's shard, whichever shard the call was for */
    shard = &ngx_http_analytics_main_conf(r)->shards[NGX_HTTP_ANALYTICS_SPOOL_SHARD];
    analytics_fcall_set_key(&spooled, ANALYTICS_FCALL_KEY_TENANTS,
                            reinterpret_cast<const char *>(shard->tenants_key.data), shard->tenants_key.len);
    analytics_fcall_set_key(&spooled, ANALYTICS_FCALL_KEY_STREAM,
                            reinterpret_cast<const char *>(shard->stream.data), shard->stream.len);
    analytics_fcall_set_key(&spooled, ANALYTICS_FCALL_KEY_SALTS,
                            reinterpret_cast<const char *>(shard->salts_key.data), shard->salts_key.len);
    analytics_fcall_set_key(&spooled, ANALYTICS_INGEST_KEY_PRODUCTS,
                            reinterpret_cast<const char *>(shard->products_key.data), shard->products_key.len);

    /* the rate key names the client (its address, often), and a replay is
     * not limited */
    analytics_fcall_set_key(&spooled, ANALYTICS_FCALL_KEY_RATE, replay_rate_key, sizeof(replay_rate_key) - 1);
    analytics_fcall_set_arg(&spooled, ANALYTICS_FCALL_ARG_ACTION, "write", 5);
    analytics_fcall_set_arg(&spooled, ANALYTICS_FCALL_ARG_LIMIT, "0", 1);

    /* a trackerId the site chose names the visitor without the address */
    visitor = analytics_fcall_arg_at(&spooled, ANALYTICS_INGEST_ARG_VISITOR);
    if (call->argvlen[visitor] < sizeof(tracker) - 1
        || ngx_strncmp(call->argv[visitor], tracker, sizeof(tracker) - 1) != 0)
    {
        analytics_fcall_set_arg(&spooled, ANALYTICS_INGEST_ARG_VISITOR, "", 0);
    }
    if (spooled.broken || ngx_http_analytics_spool_append((int) call->argc, call->argv, call->argvlen) != NGX_OK) {
        return NGX_DECLINED;
    }
    ngx_http_analytics_metrics_spooled();

    if (ngx_http_analytics_main_conf(r)->spool.sync_on_answer) {
        return ngx_http_analytics_spool_wait(r, ngx_http_analytics_spool_synced) == NGX_OK
               ? NGX_DONE : NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    return ngx_http_analytics_answer_accepted(r, ctx);
}


/* the endpoint's answer to an event it took for processing: what a spooled
 * event gets, and one left out on purpose, so that its sender cannot tell */
static ngx_int_t
ngx_http_analytics_answer_accepted(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx)
{
    ngx_http_analytics_answer_t  answer;

    ngx_memzero(&answer, sizeof(answer));
    answer.status = NGX_HTTP_ANALYTICS_SPOOLED;
    return ctx->endpoint->reply(r, ctx, &answer);
}


/* NGX_OK when analytics_skip or analytics_bots leaves r's event out (and
 * why), NGX_DECLINED when not */
static ngx_int_t
ngx_http_analytics_left_out(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_http_analytics_skip_reason_e *reason)
{
    ngx_int_t                        rc;
    ngx_regex_t                     *bots;
    ngx_http_analytics_loc_conf_t   *alcf;

    alcf = ngx_http_analytics_loc_conf(r);

    if (alcf->skip != NULL) {
        rc = ngx_http_test_predicates(r, alcf->skip);
        if (rc != NGX_OK) {
            *reason = NGX_HTTP_ANALYTICS_SKIPPED_BY_RULE;
            return rc == NGX_DECLINED ? NGX_OK : NGX_ERROR;
        }
    }

    /* set nowhere: the built-in list on a browser's beacon */
    bots = alcf->bots != NGX_CONF_UNSET_PTR ? alcf->bots
           : ctx->endpoint->from_browser ? ngx_http_analytics_main_conf(r)->builtin_bots : NULL;
    if (bots != NULL && ngx_http_analytics_is_bot(r, bots)) {
        *reason = NGX_HTTP_ANALYTICS_SKIPPED_BOT;
        return NGX_OK;
    }
    return NGX_DECLINED;
}


/* sync=answer: accepted once on disk; a sync that failed is answered as
 * without a spool (the record may still be replayed) */
static void
ngx_http_analytics_spool_synced(ngx_http_request_t *r, ngx_flag_t synced)
{
    ngx_int_t                     rc;
    ngx_http_analytics_ctx_t     *ctx;
    ngx_http_analytics_answer_t   answer;

    try {
        ctx = static_cast<ngx_http_analytics_ctx_t *>(ngx_http_get_module_ctx(r, ngx_http_analytics_module));
        ngx_memzero(&answer, sizeof(answer));
        answer.status = synced ? NGX_HTTP_ANALYTICS_SPOOLED : 0;
        rc = ctx->endpoint->reply(r, ctx, &answer);
    } catch (...) {
        rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    ngx_http_finalize_request(r, rc);
}


/* the visitor's two arguments of an ingest or mark call (redis_keys.h): its
 * source, and the salt Redis keeps for the day if it has none yet */
ngx_int_t
ngx_http_analytics_call_visitor(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_http_analytics_call &call)
{
    ngx_str_t       visitor;
    u_char         *salt;
    unsigned char   random[20];   /* two draws of 10 bytes */

    if (ngx_http_analytics_visitor_source(r, ctx, &visitor) != NGX_OK) {
        return NGX_ERROR;
    }
    /* pool memory: the call's arguments point into it until it is sent */
    salt = static_cast<u_char *>(ngx_pnalloc(r->pool, 32));
    if (salt == NULL) {
        return NGX_ERROR;
    }
    ngx_http_analytics_event_random(random);
    ngx_http_analytics_event_random(random + 10);
    ngx_hex_dump(salt, random, 16);

    call.arg(visitor);
    call.arg(reinterpret_cast<const char *>(salt), 32);
    return NGX_OK;
}


/* "<client address>\n<user agent>": hashed with the day's salt in Redis;
 * "tracker\n<trackerId>" when the tracker names its visitor; or none */
static ngx_int_t
ngx_http_analytics_visitor_source(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx, ngx_str_t *source)
{
    ngx_str_t  *address, agent;

    if (ctx->tracker.len > 0) {
        source->data = static_cast<u_char *>(ngx_pnalloc(r->pool, sizeof("tracker\n") - 1 + ctx->tracker.len));
        if (source->data == NULL) {
            return NGX_ERROR;
        }
        source->len = ngx_sprintf(source->data, "tracker\n%V", &ctx->tracker) - source->data;
        return NGX_OK;
    }

    if (!ctx->endpoint->client_is_visitor) {
        ngx_str_null(source);
        return NGX_OK;
    }

    address = &r->connection->addr_text;
    if (r->headers_in.user_agent != NULL) {
        agent = r->headers_in.user_agent->value;
    } else {
        ngx_str_null(&agent);
    }
    source->data = static_cast<u_char *>(ngx_pnalloc(r->pool, address->len + 1 + agent.len));
    if (source->data == NULL) {
        return NGX_ERROR;
    }
    source->len = ngx_sprintf(source->data, "%V\n%V", address, &agent) - source->data;
    return NGX_OK;
}


/* a new event's id, receive time and country */
void
ngx_http_analytics_outgoing_init(ngx_http_request_t *r, analytics_outgoing_event *event,
    analytics_event_kind kind)
{
    ngx_str_t       country;
    ngx_time_t     *tp;
    unsigned char   random[10];

    ngx_http_analytics_event_random(random);
    tp = ngx_timeofday();
    analytics_outgoing_event_init(event, kind, (uint64_t) tp->sec * 1000 + tp->msec, random);
    if (ngx_http_analytics_country(r, ngx_http_analytics_loc_conf(r), &country) == NGX_OK) {
        event->country = reinterpret_cast<const char *>(country.data);
        event->country_len = country.len;
    }
}


/* ISO 3166-1 alpha-2 from the configured variable, or NGX_DECLINED */
static ngx_int_t
ngx_http_analytics_country(ngx_http_request_t *r, ngx_http_analytics_loc_conf_t *alcf,
    ngx_str_t *country)
{
    ngx_str_t  value;

    if (alcf->country == NULL
        || ngx_http_complex_value(r, alcf->country, &value) != NGX_OK
        || value.len != 2)
    {
        return NGX_DECLINED;
    }
    country->data = static_cast<u_char *>(ngx_pnalloc(r->pool, 2));
    if (country->data == NULL) {
        return NGX_DECLINED;
    }
    for (ngx_uint_t i = 0; i < 2; i++) {
        u_char ch = ngx_toupper(value.data[i]);
        if (ch < 'A' || ch > 'Z') {
            return NGX_DECLINED;
        }
        country->data[i] = ch;
    }
    country->len = 2;
    return NGX_OK;
}


void
ngx_http_analytics_event_random_seed(void)
{
    if (getrandom(&ngx_http_analytics_random_state, sizeof(ngx_http_analytics_random_state), 0)
        != sizeof(ngx_http_analytics_random_state))
    {
        ngx_http_analytics_random_state = ((uint64_t) ngx_pid << 32) ^ ngx_current_msec;
    }
}


/* splitmix64: ten bytes per event id, no system call per request */
static void
ngx_http_analytics_event_random(unsigned char random[10])
{
    uint64_t    z;
    ngx_uint_t  i, j;

    for (i = 0; i < 10; /* void */ ) {
        z = (ngx_http_analytics_random_state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        z ^= z >> 31;
        for (j = 0; j < 8 && i < 10; j++, i++) {
            random[i] = (unsigned char) (z >> (j * 8));
        }
    }
}
