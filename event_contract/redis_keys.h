/*
 * What the module, the aggregator and the Redis function library
 * (redis/analytics.lua) agree on in Redis: the key names, the functions'
 * names, and the order of every FCALL's keys and arguments. Defined here
 * once; the library's own header comment says what each value holds.
 *
 * Every key carries the {analytics} hash tag, so that one call meets one
 * Redis Cluster slot; stream shard k renames the tag {analytics-k}
 * (stream_shard.h). Orders, tokens and funnel steps live in the first
 * shard only.
 */
#ifndef ANALYTICS_REDIS_KEYS_H
#define ANALYTICS_REDIS_KEYS_H

/* the library's name carries its version: hosts of a fleet running
 * different module versions load their own and never replace each other's
 * functions (names are unique across libraries, so they carry it too) */
#define ANALYTICS_REDIS_LIBRARY             "analytics_v16"

#define ANALYTICS_FUNCTION_INGEST           "analytics_ingest_v16"
#define ANALYTICS_FUNCTION_INGEST_BATCH     "analytics_ingest_batch_v16"
#define ANALYTICS_FUNCTION_INGEST_MANY      "analytics_ingest_many_v16"
#define ANALYTICS_FUNCTION_MARK_ORDER       "analytics_mark_order_v16"
#define ANALYTICS_FUNCTION_FUNNEL_TRACK     "analytics_funnel_track_v16"
#define ANALYTICS_FUNCTION_LIMIT            "analytics_limit_v16"

/* tenant references -> "<id>:<active 0|1>:<public 0|1>", and
 * "origins:<id>" -> the tenant's origins, one a line, when it registered any */
#define ANALYTICS_KEY_TENANTS               "{analytics}:tenants"
#define ANALYTICS_TENANT_ORIGINS_FIELD      "origins:"
/* the event stream's default name (analytics_stream, ANALYTICS_STREAM) */
#define ANALYTICS_KEY_STREAM                "{analytics}:events"
/* UTC day number -> that day's salt of visitor keys */
#define ANALYTICS_KEY_VISITOR_SALTS         "{analytics}:visitor-salts"
/* set of "<tenant id>:<product id>" */
#define ANALYTICS_KEY_PRODUCTS              "{analytics}:products"
/* "<tenant id>:<order session>" -> "<payment status>\n<purchase JSON>" */
#define ANALYTICS_KEY_ORDERS                "{analytics}:orders"
/* "<tenant id>:<order session>" once tracked; written by the module */
#define ANALYTICS_KEY_ORDERS_TRACKED        "{analytics}:orders-tracked"
/* a live tenant token's SHA-256 (hex) -> "<tenant>\n<expires>\n<scopes>\n<subject>" */
#define ANALYTICS_KEY_TOKENS                "{analytics}:tokens"
/* tenant id -> its funnel step names, comma separated */
#define ANALYTICS_KEY_FUNNEL_STEPS          "{analytics}:funnel-steps"

/* rate keys: <shard tag>:rate:<group>:<key value>[:<tenant>] */
#define ANALYTICS_RATE_KEY_INFIX            ":rate:"
/* a spooled call's, when it is replayed: a replay is never limited */
#define ANALYTICS_RATE_KEY_REPLAY           "{analytics}:rate:replay"
/* the management API's, followed by "token:<hash>" or "address:<ip>" */
#define ANALYTICS_RATE_KEY_MANAGEMENT       "{analytics}:rate:manage:"

/* KEYS every collector call (ingest, mark order, funnel track) starts with,
 * from 0; the function's own keys follow */
enum {
    ANALYTICS_FCALL_KEY_TENANTS = 0,
    ANALYTICS_FCALL_KEY_STREAM,
    ANALYTICS_FCALL_KEY_RATE,
    ANALYTICS_FCALL_KEY_SALTS,
    ANALYTICS_FCALL_KEY_OWN
};

/* ARGV every collector call starts with, from 0; the function's own follow */
enum {
    ANALYTICS_FCALL_ARG_ACTION = 0,   /* "write" or "count" */
    ANALYTICS_FCALL_ARG_LIMIT,        /* requests per period; 0 is none */
    ANALYTICS_FCALL_ARG_PERIOD,       /* milliseconds */
    ANALYTICS_FCALL_ARG_LOOKUP,       /* "any", "slug" or "id" */
    ANALYTICS_FCALL_ARG_OWN
};

/* ingest: its one own key, then its own arguments, then the entry's fields */
enum {
    ANALYTICS_INGEST_KEY_PRODUCTS = ANALYTICS_FCALL_KEY_OWN,
    ANALYTICS_INGEST_KEYS
};
enum {
    ANALYTICS_INGEST_ARG_TENANT = ANALYTICS_FCALL_ARG_OWN,
    ANALYTICS_INGEST_ARG_VISITOR,     /* "<ip>\n<agent>", "tracker\n<id>" or "" */
    ANALYTICS_INGEST_ARG_SALT,
    ANALYTICS_INGEST_ARG_PRODUCT,     /* a product that must exist, or "" */
    ANALYTICS_INGEST_ARG_ORIGIN,      /* the page's origin the tenant must have registered, or "" */
    ANALYTICS_INGEST_ARG_ENTRY
};

/* ingest many (a batch request's events): ingest's keys and the same
 * head of arguments, except that the cost stands where the tenant does
 * and the number of events where the product does (the spool rewrites the
 * action, the limit and the visitor, at the same places), the origin as
 * ingest's, then for each event: its number m of arguments, its tenant,
 * its product, and its m - 2 entry fields */
enum {
    ANALYTICS_INGEST_MANY_ARG_COST = ANALYTICS_INGEST_ARG_TENANT,   /* events the limit counts */
    ANALYTICS_INGEST_MANY_ARG_VISITOR = ANALYTICS_INGEST_ARG_VISITOR,
    ANALYTICS_INGEST_MANY_ARG_SALT = ANALYTICS_INGEST_ARG_SALT,
    ANALYTICS_INGEST_MANY_ARG_EVENTS = ANALYTICS_INGEST_ARG_PRODUCT,   /* the number n that follow */
    ANALYTICS_INGEST_MANY_ARG_ORIGIN = ANALYTICS_INGEST_ARG_ORIGIN,
    ANALYTICS_INGEST_MANY_ARG_FIRST = ANALYTICS_INGEST_ARG_ENTRY
};
/* its answer after the common four: the entry's id, then each event's status */
enum {
    ANALYTICS_INGEST_MANY_ANSWER_ENTRY = 4,
    ANALYTICS_INGEST_MANY_ANSWER_EVENTS
};

/* mark order: the orders and the orders tracked, then the website, the
 * order session and the visitor (as ingest's), then the mark's entry fields */
enum {
    ANALYTICS_MARK_ORDER_KEY_ORDERS = ANALYTICS_FCALL_KEY_OWN,
    ANALYTICS_MARK_ORDER_KEY_TRACKED,
    ANALYTICS_MARK_ORDER_KEYS
};
enum {
    ANALYTICS_MARK_ORDER_ARG_WEBSITE = ANALYTICS_FCALL_ARG_OWN,
    ANALYTICS_MARK_ORDER_ARG_SESSION,
    ANALYTICS_MARK_ORDER_ARG_VISITOR,
    ANALYTICS_MARK_ORDER_ARG_SALT,
    ANALYTICS_MARK_ORDER_ARG_ENTRY
};

/* funnel track: the tokens and the steps per tenant, then the token's hash,
 * the number n of steps, the n steps, then the entry fields */
enum {
    ANALYTICS_FUNNEL_TRACK_KEY_TOKENS = ANALYTICS_FCALL_KEY_OWN,
    ANALYTICS_FUNNEL_TRACK_KEY_STEPS,
    ANALYTICS_FUNNEL_TRACK_KEYS
};
enum {
    ANALYTICS_FUNNEL_TRACK_ARG_TOKEN = ANALYTICS_FCALL_ARG_OWN,
    ANALYTICS_FUNNEL_TRACK_ARG_STEP_COUNT,
    ANALYTICS_FUNNEL_TRACK_ARG_STEPS
};

/* the management limit: one key (the rate key), limit and period */
enum {
    ANALYTICS_LIMIT_KEY_RATE = 0,
    ANALYTICS_LIMIT_KEYS
};
enum {
    ANALYTICS_LIMIT_ARG_LIMIT = 0,
    ANALYTICS_LIMIT_ARG_PERIOD,
    ANALYTICS_LIMIT_ARGS
};

/* every function's answer starts {status, limit, remaining, retry after s} */
enum {
    ANALYTICS_ANSWER_STATUS = 0,
    ANALYTICS_ANSWER_LIMIT,
    ANALYTICS_ANSWER_REMAINING,
    ANALYTICS_ANSWER_RETRY_AFTER,
    ANALYTICS_ANSWER_OWN
};

#endif
