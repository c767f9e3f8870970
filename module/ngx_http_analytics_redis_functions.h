/*
 * The Redis 7 function library the module loads on every connect
 * (FUNCTION LOAD REPLACE). Each public request is one FCALL: every check
 * first, then the write, so a request either passes whole or changes nothing.
 * The library name carries a version so that hosts of a fleet running
 * different module versions never replace each other's functions.
 *
 * analytics_track_v1
 *   KEYS[1]  hash of tenant references (uuid, slug, numeric id) to
 *            "<id>:<active 0|1>:<public 0|1>", written by the aggregator
 *   KEYS[2]  the event stream
 *   ARGV[1]  the tenant reference as the client sent it
 *   ARGV[2..] the stream entry's field/value pairs
 *   returns {404} for an unknown, inactive or private tenant,
 *           {202, entry id} once the entry is in the stream
 */
#ifndef NGX_HTTP_ANALYTICS_REDIS_FUNCTIONS_H
#define NGX_HTTP_ANALYTICS_REDIS_FUNCTIONS_H

static const char ngx_http_analytics_redis_library[] = R"lua(#!lua name=analytics_v1
local function track(keys, args)
  local tenant = redis.call('HGET', keys[1], args[1])
  if not tenant then
    return {404}
  end
  local id, active, public = string.match(tenant, '^(%d+):([01]):([01])$')
  if id == nil or active ~= '1' or public ~= '1' then
    return {404}
  end
  local fields = {}
  for i = 2, #args do
    fields[i - 1] = args[i]
  end
  fields[#fields + 1] = 'tenant_id'
  fields[#fields + 1] = id
  local entry = redis.call('XADD', keys[2], '*', unpack(fields))
  return {202, entry}
end
redis.register_function('analytics_track_v1', track)
)lua";

#endif
