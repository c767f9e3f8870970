/*
 * The endpoint table: for each endpoint the reply family, the methods, how
 * its call reads the tenant, and its two handlers: parse (validate the body,
 * queue the call) and reply (answer what the function said). What every
 * endpoint answers alike (a 429, our own failure) is answered before reply.
 */
#include "ngx_http_analytics_module.h"
#include "ngx_http_analytics_call.h"

#include "batch_request.h"
#include "collect_request.h"
#include "conversion_request.h"
#include "event_id.h"
#include "funnel_track_request.h"
#include "order_mark_request.h"
#include "project_event.h"
#include "redis_keys.h"
#include "track_request.h"

#include <openssl/evp.h>


static ngx_int_t ngx_http_analytics_track_parse(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_str_t *body);
static ngx_int_t ngx_http_analytics_interactions_parse(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_str_t *body);
static ngx_int_t ngx_http_analytics_collect_parse(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_str_t *body);
static ngx_int_t ngx_http_analytics_hit_ingest(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    analytics_body_status status, analytics_track_request *request, const char *problem,
    const analytics_validation_errors *errors);
static ngx_int_t ngx_http_analytics_batch_parse(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_str_t *body);
static ngx_int_t ngx_http_analytics_collect_batch_parse(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_str_t *body);
static ngx_int_t ngx_http_analytics_batch_ingest(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_str_t *body, analytics_batch_items items);
static ngx_int_t ngx_http_analytics_batch_send(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    analytics_batch_status status, analytics_batch_request *batch, const char *problem,
    const analytics_validation_errors *errors);
static ngx_int_t ngx_http_analytics_batch_events(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    analytics_batch_request *batch, analytics_outgoing_event *outgoing, ngx_uint_t *n);
static ngx_int_t ngx_http_analytics_conversion_parse(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_str_t *body);
static ngx_int_t ngx_http_analytics_mark_parse(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_str_t *body);
static ngx_int_t ngx_http_analytics_funnel_parse(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_str_t *body);
static ngx_int_t ngx_http_analytics_project_parse(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_str_t *body);

static ngx_int_t ngx_http_analytics_track_reply(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_http_analytics_answer_t *answer);
static ngx_int_t ngx_http_analytics_interactions_reply(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_http_analytics_answer_t *answer);
static ngx_int_t ngx_http_analytics_batch_reply(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_http_analytics_answer_t *answer);
static ngx_int_t ngx_http_analytics_conversion_reply(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_http_analytics_answer_t *answer);
static ngx_int_t ngx_http_analytics_mark_reply(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_http_analytics_answer_t *answer);
static ngx_int_t ngx_http_analytics_funnel_reply(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_http_analytics_answer_t *answer);
static ngx_int_t ngx_http_analytics_project_reply(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_http_analytics_answer_t *answer);

static ngx_int_t ngx_http_analytics_batch_answer(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx);
static ngx_int_t ngx_http_analytics_conversion_answer(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_uint_t recorded);
static ngx_int_t ngx_http_analytics_mark_answer(ngx_http_request_t *r, redisReply *reply, ngx_str_t *body);
static ngx_int_t ngx_http_analytics_token_hash(ngx_http_request_t *r, u_char hex[64]);


static ngx_str_t  ngx_http_analytics_post = ngx_string("POST, OPTIONS");
static ngx_str_t  ngx_http_analytics_get_post = ngx_string("GET, POST, OPTIONS");
static ngx_str_t  ngx_http_analytics_body_headers = ngx_string("Content-Encoding, Content-Type");
static ngx_str_t  ngx_http_analytics_token_headers = ngx_string("Authorization, Content-Encoding, Content-Type");

static const ngx_http_analytics_endpoint_t  ngx_http_analytics_endpoints[NGX_HTTP_ANALYTICS_ENDPOINTS] = {

    /* NGX_HTTP_ANALYTICS_ENDPOINT_NONE: never dispatched */
    { NGX_HTTP_ANALYTICS_FAMILY_LARAVEL, &ngx_http_analytics_post, &ngx_http_analytics_body_headers,
      0, "any", 0, 0, 1, 0, ANALYTICS_EVENT_KIND_TRACK,
      ngx_http_analytics_track_parse, ngx_http_analytics_track_reply },

    /* POST /api/track */
    { NGX_HTTP_ANALYTICS_FAMILY_LARAVEL, &ngx_http_analytics_post, &ngx_http_analytics_body_headers,
      0, "any", 0, 1, 1, 1, ANALYTICS_EVENT_KIND_TRACK,
      ngx_http_analytics_track_parse, ngx_http_analytics_track_reply },

    /* POST /api/conversion (the conversion pixel's beacon) */
    { NGX_HTTP_ANALYTICS_FAMILY_LARAVEL, &ngx_http_analytics_post, &ngx_http_analytics_body_headers,
      0, "slug", 0, 0, 1, 1, ANALYTICS_EVENT_KIND_CONVERSION,
      ngx_http_analytics_conversion_parse, ngx_http_analytics_conversion_reply },

    /* POST /api/interactions: tenant by id */
    { NGX_HTTP_ANALYTICS_FAMILY_LARAVEL, &ngx_http_analytics_post, &ngx_http_analytics_body_headers,
      0, "id", 0, 0, 1, 1, ANALYTICS_EVENT_KIND_INTERACTION,
      ngx_http_analytics_interactions_parse, ngx_http_analytics_interactions_reply },

    /* POST /services/mark-purchase-tracked: orders are in the first shard */
    { NGX_HTTP_ANALYTICS_FAMILY_SERVICES, &ngx_http_analytics_post, &ngx_http_analytics_token_headers,
      0, "any", 1, 0, 1, 0, ANALYTICS_EVENT_KIND_ORDER_TRACKED,
      ngx_http_analytics_mark_parse, ngx_http_analytics_mark_reply },

    /* the tracker's POST /collect and GET /collect.gif */
    { NGX_HTTP_ANALYTICS_FAMILY_LARAVEL, &ngx_http_analytics_get_post, &ngx_http_analytics_body_headers,
      1, "any", 0, 0, 1, 1, ANALYTICS_EVENT_KIND_INTERACTION,
      ngx_http_analytics_collect_parse, ngx_http_analytics_track_reply },

    /* POST /services/funnel/track: tokens are in the first shard */
    { NGX_HTTP_ANALYTICS_FAMILY_SERVICES, &ngx_http_analytics_post, &ngx_http_analytics_token_headers,
      0, "any", 1, 0, 1, 0, ANALYTICS_EVENT_KIND_FUNNEL_STEP,
      ngx_http_analytics_funnel_parse, ngx_http_analytics_funnel_reply },

    /* POST /api/v1/events: often sent from a server, so the client is no
     * visitor */
    { NGX_HTTP_ANALYTICS_FAMILY_PROJECT, &ngx_http_analytics_post, &ngx_http_analytics_token_headers,
      0, "slug", 0, 0, 0, 0, ANALYTICS_EVENT_KIND_PROJECT_EVENT,
      ngx_http_analytics_project_parse, ngx_http_analytics_project_reply },

    /* POST /api/v1/analytics/batch: track's events, up to 100 */
    { NGX_HTTP_ANALYTICS_FAMILY_LARAVEL, &ngx_http_analytics_post, &ngx_http_analytics_body_headers,
      0, "any", 0, 1, 1, 1, ANALYTICS_EVENT_KIND_TRACK,
      ngx_http_analytics_batch_parse, ngx_http_analytics_batch_reply },

    /* the tracker's POST /collect/batch: its queued hits */
    { NGX_HTTP_ANALYTICS_FAMILY_LARAVEL, &ngx_http_analytics_post, &ngx_http_analytics_body_headers,
      0, "any", 0, 0, 1, 1, ANALYTICS_EVENT_KIND_INTERACTION,
      ngx_http_analytics_collect_batch_parse, ngx_http_analytics_batch_reply }
};


const ngx_http_analytics_endpoint_t *
ngx_http_analytics_endpoint_of(ngx_uint_t endpoint)
{
    return &ngx_http_analytics_endpoints[endpoint < NGX_HTTP_ANALYTICS_ENDPOINTS ? endpoint : 0];
}


/* what every endpoint answers alike, then the endpoint's own answer */
ngx_int_t
ngx_http_analytics_send_answer(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_http_analytics_answer_t *answer)
{
    if (answer->status == -1) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    if (answer->status == NGX_HTTP_TOO_MANY_REQUESTS) {
        ngx_http_analytics_retry_after(r, answer->retry_after);
        return ngx_http_analytics_send_refusal(r, ctx->endpoint->family, NGX_HTTP_TOO_MANY_REQUESTS);
    }
    return ctx->endpoint->reply(r, ctx, answer);
}


/*
 * track, interactions and the tracker's hits: an invalid body is answered
 * after its request is counted against the rate limit, as the documents'
 * throttle middleware counts every request.
 */
static ngx_int_t
ngx_http_analytics_track_parse(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx, ngx_str_t *body)
{
    char                         problem[256];
    analytics_body_status        status;
    analytics_track_request      request;
    analytics_validation_errors  errors;

    status = analytics_track_request_parse(reinterpret_cast<const char *>(body->data), body->len,
                                           &analytics_track_rules, &request, &errors, problem, sizeof(problem));
    return ngx_http_analytics_hit_ingest(r, ctx, status, &request, problem, &errors);
}


static ngx_int_t
ngx_http_analytics_interactions_parse(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx, ngx_str_t *body)
{
    char                         problem[256];
    analytics_body_status        status;
    analytics_track_request      request;
    analytics_validation_errors  errors;

    status = analytics_track_request_parse(reinterpret_cast<const char *>(body->data), body->len,
                                           &analytics_interaction_rules, &request, &errors, problem,
                                           sizeof(problem));
    return ngx_http_analytics_hit_ingest(r, ctx, status, &request, problem, &errors);
}


/* the tracker's hit: a JSON body, or the pixel's query string */
static ngx_int_t
ngx_http_analytics_collect_parse(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx, ngx_str_t *body)
{
    char                         problem[256];
    const char                  *text;
    analytics_body_status        status;
    analytics_track_request      request;
    analytics_validation_errors  errors;

    text = reinterpret_cast<const char *>(body->data);
    status = ctx->gif
             ? analytics_collect_query_parse(text, body->len, &request, &errors, problem, sizeof(problem))
             : analytics_collect_request_parse(text, body->len, &request, &errors, problem, sizeof(problem));
    return ngx_http_analytics_hit_ingest(r, ctx, status, &request, problem, &errors);
}


static ngx_int_t
ngx_http_analytics_hit_ingest(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    analytics_body_status status, analytics_track_request *request, const char *problem,
    const analytics_validation_errors *errors)
{
    ngx_int_t                 rc;
    analytics_outgoing_event  event;

    if (request->tenant_ref != NULL
        && ngx_http_analytics_keep(r, &ctx->tenant, request->tenant_ref, request->tenant_ref_len) != NGX_OK)
    {
        analytics_track_request_free(request);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    switch (status) {

    case ANALYTICS_BODY_OK:
        break;

    case ANALYTICS_BODY_MALFORMED:
    case ANALYTICS_BODY_INVALID:
        analytics_track_request_free(request);
        if (ngx_http_analytics_body_error(r, ctx, status, problem, errors) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
        return ngx_http_analytics_ingest(r, ctx, NULL);

    default:
        analytics_track_request_free(request);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (request->tracker_id != NULL
        && ngx_http_analytics_keep(r, &ctx->tracker, request->tracker_id, request->tracker_id_len) != NGX_OK)
    {
        analytics_track_request_free(request);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* every hit of the tracker is an interaction, its source classified later */
    ngx_http_analytics_outgoing_init(r, &event, ctx->endpoint->kind);
    analytics_outgoing_event_from_track(&event, request);
    rc = ngx_http_analytics_ingest(r, ctx, &event);
    analytics_track_request_free(request);
    return rc;
}


static ngx_int_t
ngx_http_analytics_track_reply(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_http_analytics_answer_t *answer)
{
    switch (answer->status) {

    case 202:
    case NGX_HTTP_ANALYTICS_SPOOLED:
        if (ctx->gif) {
            return ngx_http_analytics_send_gif(r);
        }
        return ngx_http_analytics_send_canned(r, NGX_HTTP_ANALYTICS_EVENT_ACCEPTED);

    case 404:
        return ngx_http_analytics_send_canned(r, NGX_HTTP_ANALYTICS_TENANT_NOT_FOUND);

    case 403:
        return ngx_http_analytics_send_canned(r, NGX_HTTP_ANALYTICS_ORIGIN_REFUSED);

    case 422:
        return ngx_http_analytics_send_canned(r, NGX_HTTP_ANALYTICS_UNKNOWN_PRODUCT);

    default:
        /* 200 ("counted"), or no answer: what was decided is answered
         * anyway; an event cannot be accepted now */
        return ngx_http_analytics_send_decided(r, ctx);
    }
}


/* an interaction whose tenant was not checked (unknown, refused for its
 * page's origin, or Redis away) is the document's "accepted for
 * processing": no tenant enumeration */
static ngx_int_t
ngx_http_analytics_interactions_reply(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_http_analytics_answer_t *answer)
{
    if (answer->status == 202) {
        return ngx_http_analytics_send_canned(r, NGX_HTTP_ANALYTICS_INTERACTION_RECORDED);
    }
    if (ctx->answer_status) {
        return ngx_http_analytics_send_json(r, ctx->answer_status, &ctx->answer_body);
    }
    return ngx_http_analytics_send_canned(r, NGX_HTTP_ANALYTICS_INTERACTION_ACCEPTED);
}


/*
 * The batch endpoints: each event checked as its single endpoint checks
 * one, the limit counting every event the body holds, the valid ones sent
 * in one call. A body that is no batch is refused whole, as track refuses
 * a body.
 */
static ngx_int_t
ngx_http_analytics_batch_parse(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx, ngx_str_t *body)
{
    return ngx_http_analytics_batch_ingest(r, ctx, body, ANALYTICS_BATCH_OF_TRACK);
}


static ngx_int_t
ngx_http_analytics_collect_batch_parse(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx, ngx_str_t *body)
{
    return ngx_http_analytics_batch_ingest(r, ctx, body, ANALYTICS_BATCH_OF_HITS);
}


static ngx_int_t
ngx_http_analytics_batch_ingest(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx, ngx_str_t *body,
    analytics_batch_items items)
{
    char                          problem[256];
    ngx_int_t                     rc;
    ngx_time_t                   *tp;
    analytics_batch_event        *events;
    analytics_batch_status        status;
    analytics_batch_request       batch;
    analytics_validation_errors   errors;

    events = static_cast<analytics_batch_event *>(
        ngx_palloc(r->pool, ANALYTICS_BATCH_MAX_EVENTS * sizeof(analytics_batch_event)));
    if (events == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    tp = ngx_timeofday();
    status = analytics_batch_request_parse(reinterpret_cast<const char *>(body->data), body->len, items,
                                           (int64_t) tp->sec * 1000 + tp->msec, &batch, events, &errors,
                                           problem, sizeof(problem));
    /* the call copies what it sends: the parsed body goes once it is sent */
    rc = ngx_http_analytics_batch_send(r, ctx, status, &batch, problem, &errors);
    analytics_batch_request_free(&batch);
    return rc;
}


/* what the parse said: the batch refused whole, or its valid events sent */
static ngx_int_t
ngx_http_analytics_batch_send(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx, analytics_batch_status status,
    analytics_batch_request *batch, const char *problem, const analytics_validation_errors *errors)
{
    ngx_uint_t                 n;
    analytics_outgoing_event  *outgoing;

    switch (status) {

    case ANALYTICS_BATCH_OK:
        break;

    case ANALYTICS_BATCH_MALFORMED:
    case ANALYTICS_BATCH_INVALID:
        if (ngx_http_analytics_body_error(r, ctx,
                                          status == ANALYTICS_BATCH_INVALID ? ANALYTICS_BODY_INVALID
                                                                            : ANALYTICS_BODY_MALFORMED,
                                          problem, errors) != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
        return ngx_http_analytics_ingest_many(r, ctx, NULL, 0);

    case ANALYTICS_BATCH_TOO_MANY:
        return ngx_http_analytics_send_body_refusal(r, ctx, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE, problem);

    default:
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    outgoing = static_cast<analytics_outgoing_event *>(
        ngx_palloc(r->pool, batch->count * sizeof(analytics_outgoing_event)));
    if (outgoing == NULL || ngx_http_analytics_batch_events(r, ctx, batch, outgoing, &n) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    /* without a valid event the answer is known: only the limit is counted */
    if (n == 0 && ngx_http_analytics_batch_answer(r, ctx) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    return ngx_http_analytics_ingest_many(r, ctx, outgoing, n);
}


/* each event's result (a 422 with its errors, or to be sent), and the n
 * valid ones as outgoing events; the first names the tenant of a
 * per-tenant limit and, with a trackerId, the visitor */
static ngx_int_t
ngx_http_analytics_batch_events(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    analytics_batch_request *batch, analytics_outgoing_event *outgoing, ngx_uint_t *n)
{
    ngx_uint_t                          i;
    analytics_batch_event              *event;
    ngx_http_analytics_batch_result_t  *result;

    ctx->batch = static_cast<ngx_http_analytics_batch_result_t *>(
        ngx_pcalloc(r->pool, batch->count * sizeof(ngx_http_analytics_batch_result_t)));
    if (ctx->batch == NULL) {
        return NGX_ERROR;
    }
    ctx->batch_len = batch->count;
    ctx->cost = batch->count;
    *n = 0;

    for (i = 0; i < batch->count; i++) {
        event = &batch->events[i];
        result = &ctx->batch[i];

        if (event->status != ANALYTICS_BODY_OK) {
            result->status = NGX_HTTP_ANALYTICS_UNPROCESSABLE_ENTITY;
            if (ngx_http_analytics_errors_body(r, &event->errors, &result->errors) != NGX_OK) {
                return NGX_ERROR;
            }
            continue;
        }

        if (*n == 0) {
            if (ngx_http_analytics_keep(r, &ctx->tenant, event->request.tenant_ref,
                                        event->request.tenant_ref_len) != NGX_OK
                || (event->request.tracker_id != NULL
                    && ngx_http_analytics_keep(r, &ctx->tracker, event->request.tracker_id,
                                               event->request.tracker_id_len) != NGX_OK))
            {
                return NGX_ERROR;
            }
        }
        ngx_http_analytics_outgoing_init(r, &outgoing[*n], ctx->endpoint->kind);
        analytics_outgoing_event_from_track(&outgoing[*n], &event->request);
        if (event->has_occurred_at) {
            analytics_outgoing_event_occurred_at(&outgoing[*n], event->occurred_at_ms);
        }
        (*n)++;
    }
    return NGX_OK;
}


/* the statuses Redis gave the events sent, in their order, or all of them
 * accepted when spooled or left out */
static ngx_int_t
ngx_http_analytics_batch_reply(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_http_analytics_answer_t *answer)
{
    ngx_int_t    status;
    ngx_uint_t   i, k;
    redisReply  *element;

    if (answer->status != NGX_HTTP_ANALYTICS_MULTI_STATUS && answer->status != NGX_HTTP_ANALYTICS_SPOOLED) {
        /* 200 ("counted"), or no answer: what was decided, else 503 */
        return ngx_http_analytics_send_decided(r, ctx);
    }

    for (i = 0, k = 0; i < ctx->batch_len; i++) {
        if (ctx->batch[i].status != 0) {
            continue;
        }
        status = NGX_HTTP_ACCEPTED;
        if (answer->status == NGX_HTTP_ANALYTICS_MULTI_STATUS) {
            element = answer->reply->element[ANALYTICS_INGEST_MANY_ANSWER_EVENTS + k++];
            status = element->type == REDIS_REPLY_INTEGER ? element->integer : 0;
        }
        if (status != NGX_HTTP_ACCEPTED && status != NGX_HTTP_NOT_FOUND && status != NGX_HTTP_FORBIDDEN
            && status != NGX_HTTP_ANALYTICS_UNPROCESSABLE_ENTITY)
        {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0, "analytics: unexpected batch reply");
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
        ctx->batch[i].status = status;
    }
    if (ngx_http_analytics_batch_answer(r, ctx) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    return ngx_http_analytics_send_json(r, ctx->answer_status, &ctx->answer_body);
}


/*
 * Every event accepted: 202 {"success":true,"accepted":N}. Else 207
 * {"accepted":N,"results":[{"index":i,"status":S,...}]} for every event,
 * a refused one with the body its single endpoint would have answered
 * ("message", "errors") merged in.
 */
static ngx_int_t
ngx_http_analytics_batch_answer(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx)
{
    size_t                              size;
    u_char                             *p;
    ngx_uint_t                          i, accepted;
    ngx_http_analytics_batch_result_t  *result;

    accepted = 0;
    size = sizeof("{\"accepted\":,\"results\":[]}") + NGX_INT_T_LEN;
    for (i = 0; i < ctx->batch_len; i++) {
        result = &ctx->batch[i];
        if (result->status == NGX_HTTP_ACCEPTED) {
            accepted++;
        } else if (result->status == NGX_HTTP_NOT_FOUND) {
            result->errors = *ngx_http_analytics_canned_body(NGX_HTTP_ANALYTICS_TENANT_NOT_FOUND);
        } else if (result->status == NGX_HTTP_FORBIDDEN) {
            result->errors = *ngx_http_analytics_canned_body(NGX_HTTP_ANALYTICS_ORIGIN_REFUSED);
        } else if (result->errors.len == 0) {
            result->errors = *ngx_http_analytics_canned_body(NGX_HTTP_ANALYTICS_UNKNOWN_PRODUCT);
        }
        size += sizeof("{\"index\":,\"status\":},") + 2 * NGX_INT_T_LEN + result->errors.len;
    }

    p = static_cast<u_char *>(ngx_pnalloc(r->pool, size));
    if (p == NULL) {
        return NGX_ERROR;
    }
    ctx->answer_body.data = p;

    if (accepted == ctx->batch_len) {
        ctx->answer_status = NGX_HTTP_ACCEPTED;
        ctx->answer_body.len = ngx_sprintf(p, "{\"success\":true,\"accepted\":%ui}", accepted) - p;
        return NGX_OK;
    }

    ctx->answer_status = NGX_HTTP_ANALYTICS_MULTI_STATUS;
    p = ngx_sprintf(p, "{\"accepted\":%ui,\"results\":[", accepted);
    for (i = 0; i < ctx->batch_len; i++) {
        result = &ctx->batch[i];
        p = ngx_sprintf(p, "%s{\"index\":%ui,\"status\":%ui", i > 0 ? "," : "", i, result->status);
        /* the refusal's own object, without its opening brace */
        if (result->status != NGX_HTTP_ACCEPTED && result->errors.len > 1) {
            *p++ = ',';
            p = ngx_cpymem(p, result->errors.data + 1, result->errors.len - 1);
        } else {
            *p++ = '}';
        }
    }
    p = ngx_cpymem(p, "]}", 2);
    ctx->answer_body.len = p - ctx->answer_body.data;
    return NGX_OK;
}


/*
 * A conversion beacon is always answered 200 (or 429): "ok" once it is in
 * the stream, "skipped" for a body that cannot be recorded or a tenant that
 * is not there. A repeated transaction_id is counted once by the aggregator.
 */
static ngx_int_t
ngx_http_analytics_conversion_parse(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx, ngx_str_t *body)
{
    ngx_int_t                     rc;
    const char                   *reason;
    analytics_outgoing_event      event;
    analytics_conversion_request  request;

    rc = analytics_conversion_request_parse(reinterpret_cast<const char *>(body->data), body->len,
                                            &request, &reason);

    if (request.transaction_json == NULL) {
        ngx_str_set(&ctx->transaction_json, "null");

    } else if (ngx_http_analytics_keep(r, &ctx->transaction_json, request.transaction_json,
                                       ngx_strlen(request.transaction_json)) != NGX_OK)
    {
        analytics_conversion_request_free(&request);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc != 0) {
        analytics_conversion_request_free(&request);
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0, "analytics: conversion skipped: %s", reason);
        if (ngx_http_analytics_conversion_answer(r, ctx, 0) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
        return ngx_http_analytics_ingest(r, ctx, NULL);
    }

    ngx_http_analytics_outgoing_init(r, &event, ctx->endpoint->kind);
    analytics_outgoing_event_from_conversion(&event, &request);
    rc = ngx_http_analytics_ingest(r, ctx, &event);
    analytics_conversion_request_free(&request);
    return rc;
}


static ngx_int_t
ngx_http_analytics_conversion_reply(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_http_analytics_answer_t *answer)
{
    ngx_uint_t  recorded;

    recorded = answer->status == 202 || answer->status == NGX_HTTP_ANALYTICS_SPOOLED;
    if ((recorded || !ctx->answer_status) && ngx_http_analytics_conversion_answer(r, ctx, recorded) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    return ngx_http_analytics_send_json(r, ctx->answer_status, &ctx->answer_body);
}


/* {"status":"ok"|"skipped","transaction_id":...} into ctx's answer */
static ngx_int_t
ngx_http_analytics_conversion_answer(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_uint_t recorded)
{
    u_char  *p;

    p = static_cast<u_char *>(ngx_pnalloc(r->pool,
        sizeof("{\"status\":\"skipped\",\"transaction_id\":}") + ctx->transaction_json.len));
    if (p == NULL) {
        return NGX_ERROR;
    }
    ctx->answer_status = NGX_HTTP_OK;
    ctx->answer_body.data = p;
    ctx->answer_body.len = ngx_sprintf(p, "{\"status\":\"%s\",\"transaction_id\":%V}",
                                       recorded ? "ok" : "skipped", &ctx->transaction_json) - p;
    return NGX_OK;
}


/*
 * mark-purchase-tracked: one FCALL finds the website's order, marks a paid
 * one for its first caller only, and hands the mark to the stream.
 */
static ngx_int_t
ngx_http_analytics_mark_parse(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx, ngx_str_t *body)
{
    ngx_int_t                        rc;
    ngx_str_t                        metadata;
    char                             problem[256];
    analytics_body_status            status;
    analytics_stream_entry           entry;
    analytics_outgoing_event         event;
    analytics_validation_errors      errors;
    analytics_order_mark_request     request;
    ngx_http_analytics_main_conf_t  *amcf;

    amcf = ngx_http_analytics_main_conf(r);

    status = analytics_order_mark_request_parse(reinterpret_cast<const char *>(body->data), body->len, &request,
                                                &errors, problem, sizeof(problem));
    if (status != ANALYTICS_BODY_OK) {
        analytics_order_mark_request_free(&request);
        if (status == ANALYTICS_BODY_NO_MEMORY
            || ngx_http_analytics_body_error(r, ctx, status, problem, &errors) != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
        return ngx_http_analytics_ingest(r, ctx, NULL);
    }

    /* the order session's characters need no JSON escaping */
    metadata.data = static_cast<u_char *>(ngx_pnalloc(r->pool,
        sizeof("{\"order_session\":\"\"}") + request.order_session_len));
    if (metadata.data == NULL || ngx_http_analytics_route(r, ctx) != NGX_OK) {
        analytics_order_mark_request_free(&request);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    metadata.len = ngx_sprintf(metadata.data, "{\"order_session\":\"%*s\"}",
                               request.order_session_len, request.order_session) - metadata.data;

    ngx_http_analytics_outgoing_init(r, &event, ctx->endpoint->kind);
    event.tenant_ref = request.website_ref;
    event.tenant_ref_len = request.website_ref_len;
    event.type = "purchase_tracked";
    event.metadata = reinterpret_cast<const char *>(metadata.data);
    event.metadata_len = metadata.len;
    analytics_outgoing_event_encode(&event, &entry);

    ngx_http_analytics_event_call  call(ANALYTICS_FUNCTION_MARK_ORDER);

    ngx_http_analytics_call_head(r, ctx, call, amcf->orders_keys, 2, request.mark ? "write" : "count");
    call.arg(request.website_ref, request.website_ref_len);
    call.arg(request.order_session, request.order_session_len);
    /* the shopper's browser calls it from the order's confirmation page:
     * the mark is that visitor's checkout, credited to their traffic */
    if (ngx_http_analytics_call_visitor(r, ctx, call) != NGX_OK) {
        analytics_order_mark_request_free(&request);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    call.entry(entry);

    rc = ngx_http_analytics_send_call(r, ctx, call);
    analytics_order_mark_request_free(&request);
    if (rc == NGX_OK) {
        return NGX_DONE;
    }
    return ngx_http_analytics_send_refusal(r, ctx->endpoint->family, NGX_HTTP_SERVICE_UNAVAILABLE);
}


static ngx_int_t
ngx_http_analytics_mark_reply(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_http_analytics_answer_t *answer)
{
    if (ctx->answer_status) {
        return ngx_http_analytics_send_decided(r, ctx);
    }

    switch (answer->status) {

    case 200:
        if (ngx_http_analytics_mark_answer(r, answer->reply, &ctx->answer_body) != NGX_OK) {
            return ngx_http_analytics_send_decided(r, ctx);
        }
        return ngx_http_analytics_send_json(r, NGX_HTTP_OK, &ctx->answer_body);

    case 404:
        return ngx_http_analytics_send_canned(r, NGX_HTTP_ANALYTICS_ORDER_NOT_FOUND);

    default:
        return ngx_http_analytics_send_decided(r, ctx);
    }
}


/* {"error":false,"already_tracked":...,"payment_status":...,"purchase":...}
 * from the function's answer: its own elements already, status, purchase */
static ngx_int_t
ngx_http_analytics_mark_answer(ngx_http_request_t *r, redisReply *reply, ngx_str_t *body)
{
    u_char      *p;
    redisReply  *already, *status, *purchase;

    if (reply == NULL || reply->elements != ANALYTICS_ANSWER_OWN + 3) {
        return NGX_ERROR;
    }
    already = reply->element[ANALYTICS_ANSWER_OWN];
    status = reply->element[ANALYTICS_ANSWER_OWN + 1];
    purchase = reply->element[ANALYTICS_ANSWER_OWN + 2];
    if (already->type != REDIS_REPLY_INTEGER || status->type != REDIS_REPLY_STRING
        || purchase->type != REDIS_REPLY_STRING)
    {
        return NGX_ERROR;
    }
    p = static_cast<u_char *>(ngx_pnalloc(r->pool,
        sizeof("{\"error\":false,\"already_tracked\":false,\"payment_status\":\"\",\"purchase\":}")
        + status->len + purchase->len));
    if (p == NULL) {
        return NGX_ERROR;
    }
    body->data = p;
    body->len = ngx_sprintf(p, "{\"error\":false,\"already_tracked\":%s,\"payment_status\":\"%*s\","
                               "\"purchase\":%*s}",
                            already->integer ? "true" : "false", status->len, status->str,
                            purchase->len, purchase->str) - p;
    return NGX_OK;
}


/*
 * funnel/track: the token (hashed here, checked in Redis with its scopes),
 * the steps (their shape here, their names against the tenant's in Redis)
 * and the write, in one FCALL. An invalid body is answered after the token
 * is checked, as Laravel's auth middleware runs before validation.
 */
static ngx_int_t
ngx_http_analytics_funnel_parse(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx, ngx_str_t *body)
{
    size_t                           i, n;
    ngx_int_t                        rc;
    u_char                           token[64];
    char                             problem[256];
    analytics_body_status            status;
    analytics_stream_entry           entry;
    analytics_outgoing_event         event;
    analytics_validation_errors      errors;
    analytics_funnel_track_request   request;
    ngx_http_analytics_main_conf_t  *amcf;

    amcf = ngx_http_analytics_main_conf(r);

    status = analytics_funnel_track_request_parse(reinterpret_cast<const char *>(body->data), body->len,
                                                  &request, &errors, problem, sizeof(problem));
    if (status == ANALYTICS_BODY_MALFORMED || status == ANALYTICS_BODY_INVALID) {
        if (ngx_http_analytics_body_error(r, ctx, status, problem, &errors) != NGX_OK) {
            analytics_funnel_track_request_free(&request);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    } else if (status != ANALYTICS_BODY_OK) {
        analytics_funnel_track_request_free(&request);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the steps, the answer's data */
    if (ngx_http_analytics_route(r, ctx) != NGX_OK
        || (!ctx->answer_status
            && ngx_http_analytics_keep(r, &ctx->steps_json, request.steps_json, request.steps_json_len)
               != NGX_OK))
    {
        analytics_funnel_track_request_free(&request);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_analytics_event_call  call(ANALYTICS_FUNCTION_FUNNEL_TRACK);

    ngx_http_analytics_call_head(r, ctx, call, amcf->funnel_keys, 2, ctx->answer_status ? "count" : "write");
    rc = ngx_http_analytics_token_hash(r, token);
    call.arg(reinterpret_cast<const char *>(token), rc == NGX_OK ? sizeof(token) : 0);

    n = ctx->answer_status ? 0 : request.step_count;
    call.number(n);
    for (i = 0; i < n; i++) {
        call.arg(request.steps[i], request.step_lens[i]);
    }

    if (!ctx->answer_status) {
        ngx_http_analytics_outgoing_init(r, &event, ctx->endpoint->kind);
        event.tenant_ref = "token";
        event.tenant_ref_len = 5;
        event.type = "funnel_track";
        event.metadata = request.metadata_json;
        event.metadata_len = request.metadata_json_len;
        analytics_outgoing_event_encode(&event, &entry);
        call.entry(entry);
    }

    rc = ngx_http_analytics_send_call(r, ctx, call);
    analytics_funnel_track_request_free(&request);
    if (rc == NGX_OK) {
        return NGX_DONE;
    }
    return ngx_http_analytics_send_refusal(r, ctx->endpoint->family, NGX_HTTP_SERVICE_UNAVAILABLE);
}


/* the token is checked before the body: 401 and 403 come first */
static ngx_int_t
ngx_http_analytics_funnel_reply(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_http_analytics_answer_t *answer)
{
    u_char                       *p;
    size_t                        index, len;
    char                          text[512];
    redisReply                   *reply;
    analytics_validation_errors   errors;

    switch (answer->status) {

    case 202:
        p = static_cast<u_char *>(ngx_pnalloc(r->pool,
            sizeof("{\"error\":false,\"message\":\"Steps tracked.\",\"data\":}") + ctx->steps_json.len));
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
        ctx->answer_body.data = p;
        ctx->answer_body.len = ngx_sprintf(p, "{\"error\":false,\"message\":\"Steps tracked.\",\"data\":%V}",
                                           &ctx->steps_json) - p;
        return ngx_http_analytics_send_json(r, NGX_HTTP_OK, &ctx->answer_body);

    case 200:
        /* counted and authenticated: the body's own error */
        return ngx_http_analytics_send_json(r, ctx->answer_status, &ctx->answer_body);

    case 401:
        return ngx_http_analytics_send_canned(r, NGX_HTTP_ANALYTICS_UNAUTHENTICATED);

    case 403:
        return ngx_http_analytics_send_canned(r, NGX_HTTP_ANALYTICS_FORBIDDEN);

    case 422:
        /* the function's own element: the index of the first unknown step */
        reply = answer->reply;
        index = reply->elements > ANALYTICS_ANSWER_OWN
                && reply->element[ANALYTICS_ANSWER_OWN]->type == REDIS_REPLY_INTEGER
                ? (size_t) reply->element[ANALYTICS_ANSWER_OWN]->integer : 0;
        analytics_validation_errors_init(&errors);
        analytics_validation_errors_add(&errors, analytics_funnel_step_field(index),
                                        analytics_funnel_step_invalid_message(index));
        len = analytics_validation_errors_render(&errors, text, sizeof(text));
        if (ngx_http_analytics_keep(r, &ctx->answer_body, text, ngx_min(len, sizeof(text) - 1)) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
        return ngx_http_analytics_send_json(r, NGX_HTTP_ANALYTICS_UNPROCESSABLE_ENTITY, &ctx->answer_body);

    default:
        /* a lost answer: the token could not be checked, so not even the
         * body's own error is answered */
        return ngx_http_analytics_send_refusal(r, ctx->endpoint->family, NGX_HTTP_SERVICE_UNAVAILABLE);
    }
}


/* the SHA-256 (hex) of the bearer token, as the aggregator stores it;
 * NGX_DECLINED when the request carries none */
static ngx_int_t
ngx_http_analytics_token_hash(ngx_http_request_t *r, u_char hex[64])
{
    u_char            digest[32];
    unsigned int      digest_len;
    ngx_str_t         value;
    ngx_table_elt_t  *authorization;

    authorization = r->headers_in.authorization;
    if (authorization == NULL) {
        return NGX_DECLINED;
    }
    value = authorization->value;
    if (value.len <= 7
        || ngx_strncasecmp(value.data, reinterpret_cast<u_char *>(const_cast<char *>("Bearer ")), 7) != 0)
    {
        return NGX_DECLINED;
    }
    value.data += 7;
    value.len -= 7;
    while (value.len > 0 && value.data[0] == ' ') {
        value.data++;
        value.len--;
    }
    if (value.len == 0
        || EVP_Digest(value.data, value.len, digest, &digest_len, EVP_sha256(), NULL) != 1
        || digest_len != sizeof(digest))
    {
        return NGX_DECLINED;
    }
    ngx_hex_dump(hex, digest, sizeof(digest));
    return NGX_OK;
}


/*
 * POST /api/v1/events (webmarketer-api, asynchronous): only a body that is
 * not a JSON object is refused here (400); any object is answered 200 with
 * its new id and goes to the stream whole, where the aggregator checks it
 * against its event type and trashes it with its reasons if it fails.
 */
static ngx_int_t
ngx_http_analytics_project_parse(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx, ngx_str_t *body)
{
    u_char                       *p;
    ngx_int_t                     rc;
    char                          problem[256];
    analytics_body_status         status;
    analytics_project_event       request;
    analytics_outgoing_event      event;
    analytics_validation_errors   errors;

    status = analytics_project_event_parse(reinterpret_cast<const char *>(body->data), body->len,
                                           &request, &errors, problem, sizeof(problem));
    if (status == ANALYTICS_BODY_MALFORMED) {
        analytics_project_event_free(&request);
        if (ngx_http_analytics_body_error(r, ctx, status, problem, &errors) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
        return ngx_http_analytics_ingest(r, ctx, NULL);
    }
    if (status != ANALYTICS_BODY_OK && status != ANALYTICS_BODY_INVALID) {
        analytics_project_event_free(&request);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the project for a per-tenant limit; the trackerId names the visitor,
     * and without one the event has none */
    if ((request.project_id != NULL
         && ngx_http_analytics_keep(r, &ctx->tenant, request.project_id, request.project_id_len) != NGX_OK)
        || (request.tracker_id != NULL
            && ngx_http_analytics_keep(r, &ctx->tracker, request.tracker_id, request.tracker_id_len) != NGX_OK))
    {
        analytics_project_event_free(&request);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_analytics_outgoing_init(r, &event, ctx->endpoint->kind);
    event.tenant_ref = ctx->tenant.len ? reinterpret_cast<const char *>(ctx->tenant.data) : "";
    event.tenant_ref_len = ctx->tenant.len;
    /* the aggregator reads everything again from the body; "-" stands for no type */
    event.type = request.event_type != NULL ? request.event_type : "-";
    event.metadata = reinterpret_cast<const char *>(body->data);
    event.metadata_len = body->len;

    p = static_cast<u_char *>(ngx_pnalloc(r->pool, ANALYTICS_UUID_TEXT_LEN + 2));
    if (p == NULL) {
        analytics_project_event_free(&request);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    ctx->event_id_json.data = p;
    ctx->event_id_json.len = ngx_sprintf(p, "\"%*s\"", (size_t) ANALYTICS_UUID_TEXT_LEN, event.id) - p;

    rc = ngx_http_analytics_ingest(r, ctx, &event);
    analytics_project_event_free(&request);
    return rc;
}


static ngx_int_t
ngx_http_analytics_project_reply(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_http_analytics_answer_t *answer)
{
    if (ctx->answer_status) {
        /* a 400 counted against the limit */
        return ngx_http_analytics_send_decided(r, ctx);
    }

    switch (answer->status) {

    case 404:
        /* no project enumeration: the same answer, but nothing to keep the
         * event under, so it is not stored */
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "analytics: event for unknown, inactive or private project \"%V\" not stored",
                      &ctx->tenant);
        /* fall through */

    case 202:
    case NGX_HTTP_ANALYTICS_SPOOLED:
        return ngx_http_analytics_send_json(r, NGX_HTTP_OK, &ctx->event_id_json);

    default:
        return ngx_http_analytics_send_decided(r, ctx);
    }
}
