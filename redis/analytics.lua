#!lua name=analytics_v16
-- The Redis 7 function library the module loads on every connect
-- (FUNCTION LOAD REPLACE), and the aggregator when no module has yet; it is
-- built into both (CMake and the module's config embed this file), and an
-- operator can load it by hand: redis-cli FUNCTION LOAD REPLACE < analytics.lua.
-- Key names, function names and the order of keys and arguments are defined
-- once for C and C++ in event_contract/redis_keys.h; keep the two in step.
--
-- Each public request is one FCALL: the rate limit first, then the checks,
-- then the write, so that one round trip answers it. The library name
-- carries a version so that hosts of a fleet running different module
-- versions never replace each other's functions.
--
-- analytics_ingest_v16
--   KEYS[1]  hash of tenant references to "<id>:<active 0|1>:<public 0|1>",
--            written by the aggregator; fields "id:<n>", "uuid:<uuid>" and
--            "slug:<slug>", so a slug of digits never meets an id; and
--            "origins:<id>" -> the tenant's registered origins, one a line
--            (no field: it registered none)
--   KEYS[2]  the event stream
--   KEYS[3]  the rate-limit key (GCRA: the theoretical arrival time, in us)
--   KEYS[4]  hash of visitor salts, field = UTC day number, one field at a time
--   KEYS[5]  set of "<tenant id>:<product id>", written by the aggregator
--   ARGV[1]  "write" (limit, check, write) or "count" (limit only: the
--            request is answered without writing, an invalid body say)
--   ARGV[2]  limit: requests per period; 0 means no limit
--   ARGV[3]  period in milliseconds
--   ARGV[4]  how to read the reference: "any" (uuid, numeric id, then slug),
--            "slug" or "id"
--   ARGV[5]  the tenant reference as the client sent it
--   ARGV[6]  what identifies a visitor for the day ("<ip>\n<user agent>"),
--            or "" for none; hashed here, never stored
--   ARGV[7]  a random salt, kept only if the day has none yet
--   ARGV[8]  a product id that must exist for the tenant, or ""
--   ARGV[9]  the origin of the page that sent the event (normalised, as
--            web_origin.h gives it), which the tenant must have registered
--            when it registered any; "" when there is none to check
--   ARGV[10..] the stream entry's field/value pairs
--   returns {status, limit, remaining, retry_after_s[, entry id]} where
--   status is 429 (limited, nothing else done), 200 (counted), 404 (unknown,
--   inactive or private tenant), 403 (an origin the tenant did not
--   register), 422 (no such product for the tenant) or 202 (the entry is in
--   the stream)
--
-- analytics_mark_order_v16 (mark-purchase-tracked)
--   KEYS[1..3] as above; KEYS[4] the hash of visitor salts;
--   KEYS[5]  hash "<tenant id>:<order session>" -> "<payment status>\n<purchase JSON>"
--   KEYS[6]  hash of the orders tracked so far, same fields
--   ARGV[1..4] as above ("write" marks, "count" only reads), ARGV[5] the website
--   reference, ARGV[6] the order session, ARGV[7] and ARGV[8] the visitor and
--   the salt candidate (as ingest's ARGV[6] and ARGV[7]), ARGV[9..] the stream
--   entry of the mark, which carries the visitor key
--   returns {429|404, limit, remaining, retry_after} or
--           {200, limit, remaining, 0, already tracked 0|1, payment status, purchase JSON}
--   Only a paid order is marked, and only its first caller sees 0.
--
-- analytics_funnel_track_v16 (funnel/track)
--   KEYS[1..4] as above (the tenant hash unused: the token names the tenant);
--   KEYS[5]  hash of token SHA-256 (hex) -> "<tenant id>\n<expires, Unix s, or ''>\n<scopes, comma
--            separated>\n<subject>", written by the aggregator for live tenant tokens
--   KEYS[6]  hash of tenant id -> the tenant's step names, comma separated
--   ARGV[1..3] as above ("count": authenticate only, the body was invalid),
--   ARGV[4] unused, ARGV[5] the bearer token's SHA-256 or "" when there was none,
--   ARGV[6] the number n of steps, ARGV[7..6+n] the steps, then the stream entry
--   returns {429|401|403, limit, remaining, retry_after}, {200, ...} (counted),
--           {422, limit, remaining, 0, index of the first unknown step, from 0}
--           or {202, limit, remaining, 0, entry id}; the entry gets the token's
--           tenant and subject
--
-- The visitor key is sha1(day's salt, tenant, ip, user agent): stable for a
-- visitor within a UTC day, unlinkable across days once the old salt is gone
-- (privacy-first analytics do the same). A hit of the tracker with a
-- trackerId sends "tracker\n<trackerId>" instead, and its key is
-- sha1(tenant, that), without the salt: the site chose to recognise the
-- visitor, so the key holds across days. Functions replicate their effects,
-- so the raw address reaches neither the AOF nor a replica.
--
-- analytics_ingest_batch_v16 (what a worker's ingest calls of one turn of
-- its event loop become: one FCALL, so Redis runs one function, not many)
--   KEYS[1..4] the tenants hash, the stream, the salts hash, the products
--            set; then each call's keys (one: its rate key)
--   ARGV[1]  the number n of calls, then for each call: its number of keys,
--            its number m of arguments, and its m arguments as
--            analytics_ingest_v16 takes them
--   returns n answers, each what analytics_ingest_v16 returns
--   The version 2 entries of the calls it admits go into one version 3
--   entry (stream_entry.h), one XADD for the batch: an XADD, its listpack
--   entry and its AOF record cost Redis about a sixth of each event's time
--   when every event has its own. Each such call's answer names that entry.
--
-- analytics_ingest_many_v16 (the batch endpoints: one request's events)
--   KEYS as analytics_ingest_v16's
--   ARGV[1..4] as ingest's; ARGV[5] the cost: the number of events the
--            request holds, valid or not, all taken from the limit at once
--            (a batch over what remains is refused whole: 429); ARGV[6] and
--            ARGV[7] the visitor and salt candidate, as ingest's, shared by
--            the events; ARGV[8] the number n of events that follow;
--            ARGV[9] the origin, as ingest's, shared too; then for each
--            event: its number m of arguments, its tenant reference, its
--            product ('' for none) and m - 2 entry fields
--   At "count" (no valid event) only the limit is taken. The spool rewrites
--   such a call as it rewrites an ingest call: the positions it changes
--   (action, limit, visitor) are the same.
--   returns {429|200, limit, remaining, retry_after}, or
--           {207, limit, remaining, 0, entry id or false, status of each
--           event: 202, 403, 404 or 422}; the written events share one version 3
--           entry (one alone that cannot be packed has its own)
--
-- analytics_limit_v16 (the management API's limit, per token or client)
--   KEYS[1]  the rate-limit key
--   ARGV[1]  limit: requests per period; ARGV[2] period in milliseconds
--   returns {200|429, limit, remaining, retry_after_s}
--
-- GCRA (as redis-cell does): one key per limited client, time from Redis
-- itself so that hosts' clocks do not matter, a limit of N per period lets
-- N through at once and then one every period/N.
--

-- memo: nil for a call alone; for the calls of a batch, what they share:
-- the time, the rate keys' arrival times (written once, at the end), and the
-- tenants, products and salt looked up so far

-- cost: the requests this call counts as (a batch counts its events)
local function rate_limit(key, limit, period_ms, now, memo, cost)
  if limit <= 0 then
    return true, 0, 0
  end
  local interval = math.ceil(period_ms * 1000 / limit)
  local capacity = interval * limit
  local tat = memo and memo.tats[key]
  if tat == nil then
    tat = tonumber(redis.call('GET', key)) or now
  end
  if tat < now then
    tat = now
  end
  local new_tat = tat + interval * (cost or 1)
  local allow_at = new_tat - capacity
  if now < allow_at then
    return false, 0, math.ceil((allow_at - now) / 1000000)
  end
  if memo then
    memo.tats[key] = new_tat
  else
    redis.call('SET', key, string.format('%d', new_tat), 'PX', math.ceil((new_tat - now) / 1000))
  end
  return true, math.floor((capacity - (new_tat - now)) / interval), 0
end

local function find_tenant(hash, how, ref)
  if how == 'slug' or how == 'id' then
    return redis.call('HGET', hash, how .. ':' .. ref)
  end
  if string.match(ref, '^%x%x%x%x%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x$') then
    return redis.call('HGET', hash, 'uuid:' .. string.lower(ref))
  end
  if string.match(ref, '^%d+$') then
    local tenant = redis.call('HGET', hash, 'id:' .. ref)
    if tenant then
      return tenant
    end
  end
  return redis.call('HGET', hash, 'slug:' .. ref)
end

local function visitor_key(salts, source, candidate, tenant_id, now, memo)
  -- a trackerId the site gave its visitor: the same visitor every day
  if string.sub(source, 1, 8) == 'tracker\n' then
    return redis.sha1hex(tenant_id .. '\n' .. source)
  end
  local day = memo and memo.day
  if not day then
    day = tostring(math.floor(now / 86400000000))
    if memo then
      memo.day = day
    end
  end
  local salt = memo and memo.salt
  if not salt then
    salt = redis.call('HGET', salts, day)
    if not salt then
      -- a new day: yesterday's salt goes, and with it any way back; a later
      -- day's, which the aggregator writes ahead for every shard, stays
      for _, kept in ipairs(redis.call('HKEYS', salts)) do
        if tonumber(kept) == nil or tonumber(kept) < tonumber(day) then
          redis.call('HDEL', salts, kept)
        end
      end
      redis.call('HSET', salts, day, candidate)
      salt = candidate
    end
    if memo then
      memo.salt = salt
    end
  end
  return redis.sha1hex(salt .. '\n' .. tenant_id .. '\n' .. source)
end

-- appends to fields the entry fields the module sent in args[first..last],
-- then the resolved tenant, and the visitor key and subject when there are
local function add_entry_fields(fields, args, first, last, tenant_id, visitor, subject)
  local n = #fields
  for i = first, last do
    n = n + 1
    fields[n] = args[i]
  end
  fields[n + 1] = 'tenant_id'
  fields[n + 2] = tenant_id
  n = n + 2
  if visitor then
    fields[n + 1] = 'visitor'
    fields[n + 2] = visitor
    n = n + 2
  end
  if subject then
    fields[n + 1] = 'subject'
    fields[n + 2] = subject
  end
  return fields
end

-- XADDs the entry the module sent in args[first..last], with what
-- add_entry_fields adds; returns the entry id
local function append_event(stream, args, first, last, tenant_id, visitor, subject)
  return redis.call('XADD', stream, '*', unpack(add_entry_fields({}, args, first, last, tenant_id, visitor, subject)))
end

local function redis_now()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000000 + tonumber(time[2])
end

-- text as a number; the calls of a batch repeat the same few (limits,
-- periods, counts), so each is read once (tonumber is strtod)
local function number_of(text, memo)
  if not memo then
    return tonumber(text)
  end
  local n = memo.numbers[text]
  if n == nil then
    n = tonumber(text)
    memo.numbers[text] = n
  end
  return n
end
-- the time, then the rate limit: the time, the limit and what remains of
-- it, and the 429 reply as a fourth value when the limit is exhausted
-- (values, not a table: this runs for every request); a call's arguments
-- are args[at + 1] on
local function admit(keys, args, at, memo, cost)
  local now = memo and memo.now or redis_now()
  local limit = number_of(args[at + 2], memo)
  local allowed, remaining, retry_after = rate_limit(keys[3], limit, number_of(args[at + 3], memo), now, memo,
                                                     cost)
  if not allowed then
    return now, limit, 0, {429, limit, 0, retry_after}
  end
  return now, limit, remaining, nil
end

-- the id of an active, public tenant, or nil
local function public_tenant(hash, how, ref, memo)
  local seen = memo and memo.tenants[how .. '\n' .. ref]
  if seen ~= nil then
    return seen or nil
  end
  local id = nil
  local tenant = find_tenant(hash, how, ref)
  if tenant then
    local found, active, public = string.match(tenant, '^(%d+):([01]):([01])$')
    if found ~= nil and active == '1' and public == '1' then
      id = found
    end
  end
  if memo then
    memo.tenants[how .. '\n' .. ref] = id or false
  end
  return id
end

-- origin is one the tenant registered, or the tenant registered none, or
-- there is none to check ('')
local function origin_allowed(hash, id, origin, memo)
  if origin == '' then
    return true
  end
  local key = id .. '\n' .. origin
  local allowed = memo and memo.origins[key]
  if allowed ~= nil then
    return allowed
  end
  local registered = redis.call('HGET', hash, 'origins:' .. id)
  allowed = not registered
  if registered then
    for line in string.gmatch(registered, '[^\n]+') do
      if line == origin then
        allowed = true
        break
      end
    end
  end
  if memo then
    memo.origins[key] = allowed
  end
  return allowed
end

local function known_product(set, member, memo)
  local known = memo and memo.products[member]
  if known == nil then
    known = redis.call('SISMEMBER', set, member) == 1
    if memo then
      memo.products[member] = known
    end
  end
  return known
end

-- one admitted event: its tenant (how, ref), product ('' for none), the
-- page's origin ('' for none to check), visitor source and salt candidate,
-- and its entry args[first .. last]; returns 404, 403, 422, or 202 and the
-- entry's id (false while it waits in memo's version 3 entry, when the
-- entry can join one)
local function write_event(keys, how, ref, product, origin, source, candidate, args, first, last, now, memo)
  local id = public_tenant(keys[1], how, ref, memo)
  if not id then
    return 404
  end
  if not origin_allowed(keys[1], id, origin, memo) then
    return 403
  end
  if product ~= '' and not known_product(keys[5], id .. ':' .. product, memo) then
    return 422
  end
  local visitor = nil
  if source ~= '' then
    -- the events of one batch request share their source: one key a tenant
    visitor = memo and memo.visitors and memo.visitors[id]
    if not visitor then
      visitor = visitor_key(keys[4], source, candidate, id, now, memo)
      if memo and memo.visitors then
        memo.visitors[id] = visitor
      end
    end
  end
  if memo and args[first] == 'v' and args[first + 1] == '2' then
    -- into the batch's version 3 entry, without its own v
    add_entry_fields(memo.packed, args, first + 2, last, id, visitor)
    return 202, false
  end
  return 202, append_event(keys[2], args, first, last, id, visitor)
end

-- one ingest call, its arguments args[at + 1 .. last]
local function ingest_call(keys, args, at, last, memo)
  local now, limit, remaining, refusal = admit(keys, args, at, memo)
  if refusal then
    return refusal
  end
  if args[at + 1] == 'count' then
    return {200, limit, remaining, 0}
  end
  local status, entry = write_event(keys, args[at + 4], args[at + 5], args[at + 8], args[at + 9], args[at + 6],
                                    args[at + 7], args, at + 10, last, now, memo)
  if status ~= 202 then
    return {status, limit, remaining, 0}
  end
  local answer = {202, limit, remaining, 0, entry}
  if entry == false then
    memo.packed_answers[#memo.packed_answers + 1] = answer
  end
  return answer
end

local function ingest(keys, args)
  return ingest_call(keys, args, 0, #args, nil)
end
redis.register_function('analytics_ingest_v16', ingest)

-- the ingest calls of one turn of a worker's event loop in one FCALL: each
-- answered as analytics_ingest_v16 would answer it alone, in order; what
-- they share is looked up once and the rate keys are written once
local function ingest_batch(keys, args)
  local memo = {now = redis_now(), tats = {}, tenants = {}, origins = {}, products = {}, numbers = {},
                packed = {'v', '3'}, packed_answers = {}}
  local call_keys = {keys[1], keys[2], '', keys[3], keys[4]}
  local key_at, arg_at = 5, 2
  local answers = {}
  for call = 1, tonumber(args[1]) do
    local n_keys, n_args = number_of(args[arg_at], memo), number_of(args[arg_at + 1], memo)
    call_keys[3] = keys[key_at]
    answers[call] = ingest_call(call_keys, args, arg_at + 1, arg_at + 1 + n_args, memo)
    key_at = key_at + n_keys
    arg_at = arg_at + 2 + n_args
  end
  if #memo.packed_answers > 0 then
    local entry = redis.call('XADD', keys[2], '*', unpack(memo.packed))
    for _, answer in ipairs(memo.packed_answers) do
      answer[5] = entry
    end
  end
  for key, tat in pairs(memo.tats) do
    redis.call('SET', key, string.format('%d', tat), 'PX', math.ceil((tat - memo.now) / 1000))
  end
  return answers
end
redis.register_function('analytics_ingest_batch_v16', ingest_batch)

-- one batch request's events: the limit taken once for all of them, then
-- each written as ingest writes it, into one version 3 entry
local function ingest_many(keys, args)
  local cost = tonumber(args[5])
  local now, limit, remaining, refusal = admit(keys, args, 0, nil, cost)
  if refusal then
    return refusal
  end
  if args[1] == 'count' then
    return {200, limit, remaining, 0}
  end
  local memo = {now = now, tats = {}, tenants = {}, origins = {}, products = {}, numbers = {},
                packed = {'v', '3'}, visitors = {}}
  local answer = {207, limit, remaining, 0, false}
  local at = 10
  for event = 1, tonumber(args[8]) do
    local n_args = tonumber(args[at])
    local status, entry = write_event(keys, args[4], args[at + 1], args[at + 2], args[9], args[6], args[7],
                                      args, at + 3, at + n_args, now, memo)
    if entry then
      answer[5] = entry
    end
    answer[5 + event] = status
    at = at + 1 + n_args
  end
  if #memo.packed > 2 then
    answer[5] = redis.call('XADD', keys[2], '*', unpack(memo.packed))
  end
  return answer
end
redis.register_function('analytics_ingest_many_v16', ingest_many)

local function mark_order(keys, args)
  local now, limit, remaining, refusal = admit(keys, args, 0, nil)
  if refusal then
    return refusal
  end
  local id = public_tenant(keys[1], args[4], args[5], nil)
  if not id then
    return {404, limit, remaining, 0}
  end
  local field = id .. ':' .. args[6]
  local order = redis.call('HGET', keys[5], field)
  if not order then
    return {404, limit, remaining, 0}
  end
  local newline = string.find(order, '\n', 1, true)
  local status = string.sub(order, 1, newline - 1)
  local purchase = string.sub(order, newline + 1)
  local already = redis.call('HEXISTS', keys[6], field)
  if args[1] == 'write' and already == 0 and status == 'paid' then
    redis.call('HSET', keys[6], field, '1')
    local visitor = nil
    if args[7] ~= '' then
      visitor = visitor_key(keys[4], args[7], args[8], id, now, nil)
    end
    append_event(keys[2], args, 9, #args, id, visitor)
  end
  return {200, limit, remaining, 0, already, status, purchase}
end
redis.register_function('analytics_mark_order_v16', mark_order)

local function funnel_track(keys, args)
  local now, limit, remaining, refusal = admit(keys, args, 0, nil)
  if refusal then
    return refusal
  end
  local token = args[5] ~= '' and redis.call('HGET', keys[5], args[5])
  if not token then
    return {401, limit, remaining, 0}
  end
  local tenant, expires, scopes, subject = string.match(token, '^(%d+)\n(%d*)\n([^\n]*)\n(.*)$')
  if not tenant or (expires ~= '' and now >= tonumber(expires) * 1000000) then
    return {401, limit, remaining, 0}
  end
  scopes = ',' .. scopes .. ','
  if not string.find(scopes, ',funnel:write,', 1, true) and not string.find(scopes, ',admin,', 1, true) then
    return {403, limit, remaining, 0}
  end
  if args[1] == 'count' then
    return {200, limit, remaining, 0}
  end
  local known = {}
  for step in string.gmatch(redis.call('HGET', keys[6], tenant) or '', '[^,]+') do
    known[step] = true
  end
  local n = tonumber(args[6])
  for i = 1, n do
    if not known[args[6 + i]] then
      return {422, limit, remaining, 0, i - 1}
    end
  end
  local entry = append_event(keys[2], args, 7 + n, #args, tenant, nil, subject)
  return {202, limit, remaining, 0, entry}
end
redis.register_function('analytics_funnel_track_v16', funnel_track)

-- the management API's limit: the same GCRA, nothing else
local function limit(keys, args)
  local now = redis_now()
  local limit_n = tonumber(args[1])
  local allowed, remaining, retry_after = rate_limit(keys[1], limit_n, tonumber(args[2]), now, nil)
  if not allowed then
    return {429, limit_n, 0, retry_after}
  end
  return {200, limit_n, remaining, 0}
end
redis.register_function('analytics_limit_v16', limit)
