#!/usr/bin/env bash
# make bench, the aggregator's part: a backlog of BENCH_INGEST_ENTRIES stream
# entries (module encoding; half interactions, the rest track events and
# conversions) drained into PostgreSQL, against a plain COPY of the same rows
# into the same tables; then a steady 20k entries/s with the lag measured
# per row. Writes bench/out/ingest.json.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$root/bench/out
mkdir -p "$out"
entries=${BENCH_INGEST_ENTRIES:-1000000}
steady_rate=${BENCH_STEADY_RATE:-20000}
steady_seconds=${BENCH_STEADY_SECONDS:-15}
# events per stream entry in the backlog: 1 (version 2 entries, as a module
# at low traffic or a spool replay writes them) is the aggregator's worst case
per_entry=${BENCH_INGEST_PER_ENTRY:-1}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
dir=$(mktemp -d /tmp/analytics-ingest-bench-XXXXXX)
chmod 755 "$dir"
export STACK_HTTP_PORT=$(free_port) STACK_REDIS_PORT=$(free_port) STACK_PG_PORT=$(free_port) STACK_AGGREGATOR_PORT=$(free_port)
export STACK_NGINX_CONF=test   # the generous limits: the bench is one client
export ANALYTICS_BATCH_SIZE=${ANALYTICS_BATCH_SIZE:-2000} ANALYTICS_CONSUMERS=${ANALYTICS_CONSUMERS:-2}
cleanup() { bash "$root/scripts/local_stack.sh" stop "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
stack() { bash "$root/scripts/local_stack.sh" "$1" "$dir" >/dev/null; }
stack start
db() { psql -X -h 127.0.0.1 -p "$STACK_PG_PORT" -U postgres -d analytics -tAc "$1"; }
redis() { redis-cli -p "$STACK_REDIS_PORT" "$@"; }
tenant=$(jq -r .id "$dir/demo-tenant.json")
stream='{analytics}:events'
# one XINFO answer for both: pending and lag read apart can both be 0 while
# the last batch is in hand
drained() { redis XINFO GROUPS "$stream" | awk '/^pending$/ {getline p} /^lag$/ {getline l} END {exit !(p == 0 && l == 0)}'; }

# --- the backlog ---------------------------------------------------------------
stack stop-aggregator
python3 "$root/bench/stream_load.py" --count "$entries" --tenant-id "$tenant" --per-entry "$per_entry" | redis --pipe >/dev/null
echo "ingest: $entries entries waiting in the stream" >&2
# the load's own writes are persisted before the drain starts: loading the
# backlog grows the append-only file past its rewrite threshold, and the
# rewrite (a forked child compressing the whole dataset) is not the
# aggregator's work, so it runs now instead of on the drain's two cores
redis BGREWRITEAOF >/dev/null 2>&1 || true
while redis INFO persistence | grep -Eq '^aof_rewrite_(in_progress|scheduled):1'; do sleep 0.2; done
stack start-aggregator
pid=$(cat "$dir/aggregator.pid")
until drained; do sleep 0.2; done
stored=$(db 'SELECT count(*) FROM events')
ingest_rps=$(db "SELECT round(count(*) / extract(epoch FROM max(ingested_at) - min(ingested_at)))::bigint FROM events")
rss_kb=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
echo "ingest: $stored rows at $ingest_rps rows/s, peak RSS ${rss_kb} kB" >&2

# --- the same rows by plain COPY -------------------------------------------------
tables="events interactions attributions"
for t in $tables; do db "COPY (SELECT * FROM $t) TO STDOUT" > "$dir/$t.copy"; done
rows_copied=$(cat "$dir"/events.copy | wc -l)
stack stop-aggregator
db "TRUNCATE ${tables// /, }"
copy_started=$(date +%s.%N)
{ echo 'BEGIN;'; for t in $tables; do echo "\\copy $t FROM '$dir/$t.copy'"; done; echo 'COMMIT;'; } \
  | psql -X -q -h 127.0.0.1 -p "$STACK_PG_PORT" -U postgres -d analytics -v ON_ERROR_STOP=1
copy_seconds=$(echo "$(date +%s.%N) - $copy_started" | bc -l)
copy_rps=$(echo "$rows_copied / $copy_seconds" | bc -l | cut -d. -f1)
echo "copy: $rows_copied rows (with their interactions and attributions) at $copy_rps rows/s" >&2

# --- a steady 20k entries per second ---------------------------------------------------
stack start-aggregator
steady_from=$(db "SELECT now()")
python3 "$root/bench/stream_load.py" --count $((steady_rate * steady_seconds)) --rate "$steady_rate" \
  --tenant-id "$tenant" | redis --pipe >/dev/null
until drained; do sleep 0.2; done
lag_p99_ms=$(db "SELECT round(extract(epoch FROM percentile_disc(0.99) WITHIN GROUP (ORDER BY ingested_at - received_at)) * 1000)
                 FROM events WHERE received_at >= '$steady_from'")
steady_rows=$(db "SELECT count(*) FROM events WHERE received_at >= '$steady_from'")
echo "steady: $steady_rows rows at $steady_rate/s, lag p99 ${lag_p99_ms} ms" >&2

jq -n --argjson ingest "$ingest_rps" --argjson copy "$copy_rps" --argjson stored "$stored" \
  --argjson entries "$entries" --argjson rss "$rss_kb" --argjson lag "$lag_p99_ms" \
  --argjson steady_rows "$steady_rows" --argjson rate "$steady_rate" \
  '{ ingest_rows_per_s: $ingest, copy_rows_per_s: $copy,
     ingest_vs_copy_ratio: (($ingest / $copy) * 1000 | round / 1000),
     ingest_includes: "events, interactions with source classification, attribution shares, the three hourly rollups and the two daily ones, in the same transactions; the COPY baseline loads the same events, interactions and attributions rows and no rollups",
     ingest_backlog_entries: $entries, ingest_rows_stored: $stored,
     aggregator_rss_mb_1m_backlog: (($rss / 1024) * 10 | round / 10),
     lag_p99_ms_at_20k: $lag, steady_rate_per_s: $rate, steady_rows_stored: $steady_rows }' > "$out/ingest.json"
cat "$out/ingest.json"
