#!/usr/bin/env bash
# make bench: the track endpoint (validation + Redis FCALL + XADD) against a
# plain `return 204` location on the same nginx, in one run, one worker,
# 32 connections. This machine's speed drifts by a tenth or more over
# minutes, so the two locations take turns in short rounds and the ratio is
# the median of each round's pair, and so are the latencies; a long track
# run after them carries the worker's memory across a million requests.
# Then the batch endpoint at 50 events a request against track, taking
# turns the same way: events per second through each.
# Figures go to bench/out/results.json (a flat object).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$root/bench/out
mkdir -p "$out"
rm -f "$out"/track-*.json "$out"/return204-*.json "$out"/everysec-*.json "$out"/always-*.json "$out"/batch*.json
round_duration=${BENCH_ROUND_DURATION:-5s}
rounds=${BENCH_ROUNDS:-5}
# with the rounds, long enough for a million track requests at this
# machine's rate: the worker's memory is measured across them
track_duration=${BENCH_TRACK_DURATION:-30s}
connections=${BENCH_CONNECTIONS:-32}
threads=${BENCH_THREADS:-2}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
dir=$(mktemp -d /tmp/analytics-bench-XXXXXX)
chmod 755 "$dir"
export STACK_HTTP_PORT=$(free_port) STACK_REDIS_PORT=$(free_port) STACK_PG_PORT=$(free_port) STACK_AGGREGATOR_PORT=$(free_port)
export STACK_NGINX_WORKERS=1 STACK_NGINX_CONF=test
cleanup() { bash "$root/scripts/local_stack.sh" stop "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
bash "$root/scripts/local_stack.sh" start "$dir" >/dev/null

base=http://127.0.0.1:$STACK_HTTP_PORT
product_id=$(curl -sf -H "Authorization: Bearer $(cat "$dir/admin-token")" -H 'Content-Type: application/json' \
  -d '{"name":"Bench product"}' "$base/api/v1/admin/tenants/demo/products" | jq -r .id)
track_body='{"tenant_id":"demo","type":"whatsapp_click","product_id":'$product_id',"metadata":{"source":"catalog_page","campaign":"bench"}}'

batch_size=${BENCH_BATCH_SIZE:-50}
batch_body=$(jq -cn --argjson event "$track_body" --argjson n "$batch_size" '{batch: [range($n) | $event]}')

run_wrk() {  # name url body [duration]
  local line
  line=$(BENCH_BODY="$3" wrk -t"$threads" -c"$connections" -d"${4:-$round_duration}" --timeout 5s -s "$root/bench/report.lua" "$2" | grep '^BENCH ')
  echo "${line#BENCH }" > "$out/$1.json"
  echo "$1: ${line#BENCH }" >&2
}

worker_rss_kb() {
  local master; master=$(cat "$dir/nginx/nginx.pid")
  ps -o rss= --ppid "$master" | awk '{s+=$1} END {print s}'
}

# warm up both paths, then measure
BENCH_BODY="$track_body" wrk -t1 -c4 -d2s -s "$root/bench/report.lua" "$base/api/v1/analytics/track" >/dev/null
db="psql -X -h 127.0.0.1 -p $STACK_PG_PORT -U postgres -d analytics -tAc"
rss_before=$(worker_rss_kb)
# the warm-up's events must be in before the measured ones are counted: one
# XINFO answer for both, as pending and lag read apart can both be 0 while
# the last batch is in hand
drained() { redis-cli -p "$STACK_REDIS_PORT" XINFO GROUPS '{analytics}:events' \
              | awk '/^pending$/ {getline p} /^lag$/ {getline l} END {exit !(p == 0 && l == 0)}'; }
until drained; do sleep 0.2; done
stored_before=$($db 'SELECT count(*) FROM events')
# the aggregator is not on the request path: it waits while nginx is
# measured (on this 2-core machine it would take the cores nginx and Redis
# need), then drains what piled up in the stream
bash "$root/scripts/local_stack.sh" stop-aggregator "$dir" >/dev/null
for round in $(seq 1 "$rounds"); do
  run_wrk "return204-$round" "$base/bench/return-204" ""
  run_wrk "track-$round" "$base/api/v1/analytics/track" "$track_body"
done
run_wrk track "$base/api/v1/analytics/track" "$track_body" "$track_duration"
rss_after=$(worker_rss_kb)
# durability: Redis's AOF synced before every reply (appendfsync always, a
# 202 on Redis's disk; Redis groups the replies of one event-loop turn into
# one fsync) against the default everysec, taking turns as above
sync_rounds=${BENCH_SYNC_ROUNDS:-3}
for round in $(seq 1 "$sync_rounds"); do
  redis-cli -p "$STACK_REDIS_PORT" CONFIG SET appendfsync everysec >/dev/null
  run_wrk "everysec-$round" "$base/api/v1/analytics/track" "$track_body"
  redis-cli -p "$STACK_REDIS_PORT" CONFIG SET appendfsync always >/dev/null
  run_wrk "always-$round" "$base/api/v1/analytics/track" "$track_body"
done
redis-cli -p "$STACK_REDIS_PORT" CONFIG SET appendfsync everysec >/dev/null
# events per second: one track request each, against batches of batch_size
batch_rounds=${BENCH_BATCH_ROUNDS:-3}
for round in $(seq 1 "$batch_rounds"); do
  run_wrk "batchtrack-$round" "$base/api/v1/analytics/track" "$track_body"
  run_wrk "batch-$round" "$base/api/v1/analytics/batch" "$batch_body"
done
bash "$root/scripts/local_stack.sh" start-aggregator "$dir" >/dev/null
jq -s '{rounds: [range(0; length / 2) as $i | {return204: .[2 * $i], track: .[2 * $i + 1]}]}' \
  $(for round in $(seq 1 "$rounds"); do echo "$out/return204-$round.json" "$out/track-$round.json"; done) \
  > "$out/rounds.json"

jq -s '{rounds: [range(0; length / 2) as $i | {everysec: .[2 * $i], always: .[2 * $i + 1]}]}' \
  $(for round in $(seq 1 "$sync_rounds"); do echo "$out/everysec-$round.json" "$out/always-$round.json"; done) \
  > "$out/sync-rounds.json"

jq -s '{rounds: [range(0; length / 2) as $i | {track: .[2 * $i], batch: .[2 * $i + 1]}]}' \
  $(for round in $(seq 1 "$batch_rounds"); do echo "$out/batchtrack-$round.json" "$out/batch-$round.json"; done) \
  > "$out/rounds-batch.json"

# every accepted event must reach PostgreSQL
accepted=$(( $(jq -s 'map(.requests - .errors) | add' "$out"/track.json "$out"/track-*.json "$out"/everysec-*.json \
  "$out"/always-*.json "$out"/batchtrack-*.json) + batch_size * $(jq -s 'map(.requests - .errors) | add' "$out"/batch-*.json) ))
deadline=$((SECONDS + 120))
until [ $(( $($db 'SELECT count(*) FROM events') - stored_before )) -ge "$accepted" ] || [ $SECONDS -ge $deadline ]; do sleep 0.5; done
stored=$(( $($db 'SELECT count(*) FROM events') - stored_before ))

median='sort | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end'
jq -n \
  --slurpfile t "$out/track.json" --slurpfile r "$out/rounds.json" --slurpfile y "$out/sync-rounds.json" \
  --slurpfile b "$out/rounds-batch.json" --argjson batch_size "$batch_size" \
  --argjson before "$rss_before" --argjson after "$rss_after" \
  --argjson accepted "$accepted" --argjson stored "$stored" \
  --argjson connections "$connections" \
  "def median: $median;"'
   ($r[0].rounds) as $rounds | ($y[0].rounds) as $sync | ($b[0].rounds) as $batch |
   {
     track_rps: ($rounds | map(.track.rps) | median),
     return204_rps: ($rounds | map(.return204.rps) | median),
     track_vs_return204_ratio: ($rounds | map(.track.rps / .return204.rps) | median * 1000 | round / 1000),
     track_vs_return204_ratio_rounds: ($rounds | map(.track.rps / .return204.rps * 1000 | round / 1000)),
     track_p50_ms: ($rounds | map(.track.p50_ms) | median),
     track_p99_ms: ($rounds | map(.track.p99_ms) | median),
     track_p99_ms_rounds: ($rounds | map(.track.p99_ms)),
     track_long_run_p99_ms: $t[0].p99_ms,
     return204_p99_ms: ($rounds | map(.return204.p99_ms) | median),
     track_requests: ($t[0].requests + ($rounds | map(.track.requests) | add)),
     track_errors: ($t[0].errors + ($rounds | map(.track.errors) | add)),
     track_events_accepted: $accepted, track_events_stored: $stored,
     connections: $connections,
     worker_rss_before_kb: $before, worker_rss_after_kb: $after,
     worker_rss_growth_kb: ($after - $before),
     track_fsync_always_vs_everysec_ratio: ($sync | map(.always.rps / .everysec.rps) | median * 1000 | round / 1000),
     track_fsync_always_vs_everysec_ratio_rounds: ($sync | map(.always.rps / .everysec.rps * 1000 | round / 1000)),
     track_fsync_always_p99_ms: ($sync | map(.always.p99_ms) | median),
     track_fsync_everysec_p99_ms: ($sync | map(.everysec.p99_ms) | median),
     batch_size: $batch_size,
     batch_events_per_s: ($batch | map(.batch.rps * $batch_size) | median),
     batch_track_events_per_s: ($batch | map(.track.rps) | median),
     batch_vs_track_events_ratio: ($batch | map(.batch.rps * $batch_size / .track.rps) | median * 1000 | round / 1000),
     batch_vs_track_events_ratio_rounds: ($batch | map(.batch.rps * $batch_size / .track.rps * 1000 | round / 1000)),
     batch_p99_ms: ($batch | map(.batch.p99_ms) | median),
     batch_errors: ($batch | map(.batch.errors) | add)
   }' > "$out/collector.json"
cat "$out/collector.json"
