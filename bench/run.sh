#!/usr/bin/env bash
# make bench: the track endpoint (validation + Redis FCALL + XADD) against a
# plain `return 204` location on the same nginx, in one run, one worker,
# 32 connections. Figures go to bench/out/results.json (a flat object).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$root/bench/out
mkdir -p "$out"
duration=${BENCH_DURATION:-10s}
# long enough for a million requests at this machine's rate: the worker's
# memory is measured across them
track_duration=${BENCH_TRACK_DURATION:-40s}
connections=${BENCH_CONNECTIONS:-32}
threads=${BENCH_THREADS:-2}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
dir=$(mktemp -d /tmp/analytics-bench-XXXXXX)
chmod 755 "$dir"
export STACK_HTTP_PORT=$(free_port) STACK_REDIS_PORT=$(free_port) STACK_PG_PORT=$(free_port) STACK_AGGREGATOR_PORT=$(free_port)
export STACK_NGINX_WORKERS=1
cleanup() { bash "$root/scripts/local_stack.sh" stop "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
bash "$root/scripts/local_stack.sh" start "$dir" >/dev/null

base=http://127.0.0.1:$STACK_HTTP_PORT
product_id=$(curl -sf -H "Authorization: Bearer $(cat "$dir/admin-token")" -H 'Content-Type: application/json' \
  -d '{"name":"Bench product"}' "$base/api/v1/admin/tenants/demo/products" | jq -r .id)
track_body='{"tenant_id":"demo","type":"whatsapp_click","product_id":'$product_id',"metadata":{"source":"catalog_page","campaign":"bench"}}'

run_wrk() {  # name url body [duration]
  local line
  line=$(BENCH_BODY="$3" wrk -t"$threads" -c"$connections" -d"${4:-$duration}" --timeout 5s -s "$root/bench/report.lua" "$2" | grep '^BENCH ')
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
run_wrk return204 "$base/bench/return-204" ""
# the warm-up's events must be in before the measured ones are counted
sleep 2
stored_before=$($db 'SELECT count(*) FROM events')
# the aggregator is not on the request path: it waits while nginx is
# measured (on this 2-core machine it would take the cores nginx and Redis
# need), then drains what piled up in the stream
bash "$root/scripts/local_stack.sh" stop-aggregator "$dir" >/dev/null
run_wrk track "$base/api/v1/analytics/track" "$track_body" "$track_duration"
rss_after=$(worker_rss_kb)
bash "$root/scripts/local_stack.sh" start-aggregator "$dir" >/dev/null

# every accepted event must reach PostgreSQL
accepted=$(jq .requests "$out/track.json")
track_errors=$(jq .errors "$out/track.json")
deadline=$((SECONDS + 120))
until [ $(( $($db 'SELECT count(*) FROM events') - stored_before )) -ge $((accepted - track_errors)) ] || [ $SECONDS -ge $deadline ]; do sleep 0.5; done
stored=$(( $($db 'SELECT count(*) FROM events') - stored_before ))

jq -n \
  --slurpfile t "$out/track.json" --slurpfile b "$out/return204.json" \
  --argjson before "$rss_before" --argjson after "$rss_after" --argjson stored "$stored" \
  --argjson connections "$connections" \
  '{
     track_rps: $t[0].rps, return204_rps: $b[0].rps,
     track_vs_return204_ratio: (($t[0].rps / $b[0].rps) * 1000 | round / 1000),
     track_p50_ms: $t[0].p50_ms, track_p99_ms: $t[0].p99_ms,
     return204_p99_ms: $b[0].p99_ms,
     track_requests: $t[0].requests, track_errors: $t[0].errors,
     track_events_stored: $stored,
     connections: $connections,
     worker_rss_before_kb: $before, worker_rss_after_kb: $after,
     worker_rss_growth_kb: ($after - $before)
   }' > "$out/collector.json"
cat "$out/collector.json"
