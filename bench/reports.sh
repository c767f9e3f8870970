#!/usr/bin/env bash
# make bench, the reports' part: BENCH_REPORT_EVENTS events (default ten
# million) over one year, loaded as rows of the shape the pipeline writes
# (events, interactions, attributions, raw and computed Webmarketer events)
# with the rollups built from them; then the funnel report and an insights
# query through nginx at 8 concurrent clients (p95), side by side with the
# same questions asked of the raw tables. Writes bench/out/reports.json.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$root/bench/out
mkdir -p "$out"
events=${BENCH_REPORT_EVENTS:-10000000}
seconds=${BENCH_REPORT_SECONDS:-10}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
dir=$(mktemp -d /tmp/analytics-reports-bench-XXXXXX)
chmod 755 "$dir"
export STACK_HTTP_PORT=$(free_port) STACK_REDIS_PORT=$(free_port) STACK_PG_PORT=$(free_port) STACK_AGGREGATOR_PORT=$(free_port)
export STACK_NGINX_CONF=test   # the generous limits: the bench is one client
# one token asks everything: the management limit (0: off) must not be what is measured
export ANALYTICS_MANAGEMENT_RATE_LIMIT=0
cleanup() { bash "$root/scripts/local_stack.sh" stop "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"; }
[ -n "${BENCH_KEEP:-}" ] || trap cleanup EXIT
bash "$root/scripts/local_stack.sh" start "$dir" >/dev/null
db() { psql -X -q -h 127.0.0.1 -p "$STACK_PG_PORT" -U postgres -d analytics -v ON_ERROR_STOP=1 -tAc "$1"; }
tenant=$(jq -r .id "$dir/demo-tenant.json")
base=http://127.0.0.1:$STACK_HTTP_PORT
admin="Authorization: Bearer $(cat "$dir/admin-token")"
token=$(curl -sf -H "$admin" -H 'Content-Type: application/json' \
  -d '{"tenant_id":"demo","subject":"bench","scopes":["reports:read","manage"]}' "$base/api/v1/admin/tokens" | jq -r .token)
curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"reference":"order","name":"Order","fields":[{"storageKey":"turnover","type":"number","kind":"statistic"},{"storageKey":"paid","type":"number","kind":"state"}]}' \
  "$base/api/v1/projects/demo/event-types" >/dev/null

# --- the data: 30% interactions, 60% attributed events, 10% Webmarketer events ----------
# Rollup rows are written in time order, as the ingest writes them hour after
# hour, so a month of them sits in few pages.
loaded_from=$(date +%s.%N)
db "
SET synchronous_commit = off;
SET maintenance_work_mem = '256MB';
CREATE TEMP TABLE gen AS
-- ids in time order, as the module's UUIDv7 are: the indexes grow at their end
SELECT n, (lpad(to_hex(n), 12, '0') || '7' || lpad(to_hex(n % 4096), 3, '0') || '8' || lpad(to_hex(n), 15, '0'))::uuid AS id,
       timestamptz '2025-01-01 00:00:00+00' + (n * (365.0 * 86400 / $events)) * interval '1 second' AS at,
       CASE WHEN n % 10 < 3 THEN 'interaction' WHEN n % 10 < 9 THEN 'track' ELSE 'project_event' END AS kind,
       (ARRAY['Google', 'Facebook', 'Direct', 'Newsletter', 'Bing'])[1 + n % 5] AS source,
       (ARRAY['cpc', 'social', '(none)', 'email', 'organic'])[1 + n % 5] AS medium,
       'campaign-' || (n % 20) AS campaign,
       (ARRAY['HN', 'GT', 'SV', 'NI'])[1 + n % 4] AS country,
       (ARRAY['purchase', 'cart_add', 'whatsapp_click', 'call', 'checkout', 'social_share'])[1 + (n / 10) % 6] AS track_type
FROM generate_series(1, $events) AS n;
INSERT INTO events (tenant_id, id, received_at, kind, type, metadata, country, visitor_key, stream_id)
SELECT $tenant, id, at, kind, CASE kind WHEN 'interaction' THEN 'pageview' WHEN 'track' THEN track_type ELSE 'order' END,
       '{}', country, md5((n % 100000)::text) || '01234567', n::text || '-0' FROM gen;
INSERT INTO interactions (tenant_id, event_id, occurred_at, visitor_key, kind, source, medium, campaign, direct, country)
SELECT $tenant, id, at, md5((n % 100000)::text) || '01234567', 'pageview', source, medium, campaign, source = 'Direct', country
FROM gen WHERE kind = 'interaction';
INSERT INTO attributions (tenant_id, event_id, position, occurred_at, event_type, model, source, medium, campaign, country,
                          currency, credit_micros, value_minor)
SELECT $tenant, id, 0, at, track_type, 'last_non_direct', source, medium, campaign, country, 'HNL', 1000000,
       CASE WHEN track_type = 'purchase' THEN (n % 500) * 100 ELSE 0 END
FROM gen WHERE kind = 'track';
INSERT INTO raw_events (tenant_id, id, nonce, event_type, event_date, received_at, body)
SELECT $tenant, id, 'n' || n, 'order', at, at, '{}' FROM gen WHERE kind = 'project_event';
INSERT INTO computed_events (tenant_id, id, event_type_id, event_type, event_date, data, created_at, updated_at)
SELECT $tenant, id, (SELECT id FROM event_types WHERE reference = 'order'), 'order', at,
       jsonb_build_object('turnover', n % 500, 'paid', n % 2), at, at
FROM gen WHERE kind = 'project_event';
INSERT INTO rollup_interactions_hourly (tenant_id, hour, source, medium, campaign, country, interactions)
SELECT tenant_id, date_trunc('hour', occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', source, medium, campaign, country, count(*)
FROM interactions WHERE tenant_id = $tenant GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2;
INSERT INTO rollup_attributed_hourly (tenant_id, hour, event_type, source, medium, campaign, country, currency, credit_micros, value_minor)
SELECT tenant_id, date_trunc('hour', occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', event_type, source, medium, campaign, country,
       currency, sum(credit_micros), sum(value_minor)
FROM attributions WHERE tenant_id = $tenant GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 ORDER BY 1, 2;
INSERT INTO rollup_interactions_daily
SELECT tenant_id, (hour AT TIME ZONE 'UTC')::date, source, medium, campaign, country, sum(interactions)
FROM rollup_interactions_hourly WHERE tenant_id = $tenant GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2;
INSERT INTO rollup_attributed_daily
SELECT tenant_id, (hour AT TIME ZONE 'UTC')::date, event_type, source, medium, campaign, country, currency,
       sum(credit_micros), sum(value_minor)
FROM rollup_attributed_hourly WHERE tenant_id = $tenant GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 ORDER BY 1, 2;
INSERT INTO project_metrics_hourly (tenant_id, hour, event_type, metric, value)
SELECT tenant_id, date_trunc('hour', event_date AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', event_type, m.metric, sum(m.value)
FROM computed_events, LATERAL (VALUES ('event-count', 1.0), ('turnover', (data->>'turnover')::float8),
                                      ('paid', CASE WHEN data->>'paid' = '1' THEN 1.0 ELSE 0.0 END)) AS m (metric, value)
WHERE tenant_id = $tenant GROUP BY 1, 2, 3, 4 ORDER BY 1, 2;
INSERT INTO project_metrics_daily
SELECT tenant_id, (hour AT TIME ZONE 'UTC')::date, event_type, metric, sum(value)
FROM project_metrics_hourly WHERE tenant_id = $tenant GROUP BY 1, 2, 3, 4 ORDER BY 1, 2;
ANALYZE;
"
loaded_seconds=$(echo "$(date +%s.%N) - $loaded_from" | bc -l | cut -d. -f1)
echo "reports: $events events and their rows loaded in ${loaded_seconds}s" >&2

# --- the questions --------------------------------------------------------------------------
funnel_path="/api/v1/reports/funnel?account_id=demo&report_type=Source&date_range=20250301,20250331"
insights_body='{"since":"2025-03-01T00:00:00Z","until":"2025-03-31T23:59:59Z","metrics":["event-count","turnover","paid"],"groupBy":"project","interval":"day"}'

measure() {  # name url [body]
  local line
  line=$(BENCH_BODY="${3:-}" BENCH_AUTHORIZATION="Bearer $token" BENCH_METHOD="${4:-GET}" \
         wrk -t2 -c8 -d"${seconds}s" --timeout 10s -s "$root/bench/report.lua" "$2" | grep '^BENCH ')
  echo "${line#BENCH }" > "$out/$1.json"
  echo "$1: ${line#BENCH }" >&2
}
# both must answer right before they are timed
curl -sf -H "Authorization: Bearer $token" "$base$funnel_path" | jq -e '.status == "ok" and (.data | length) == 5' >/dev/null
curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "$insights_body" \
  "$base/api/v1/projects/demo/events/insights" | jq -e 'length == 31' >/dev/null
measure report_funnel "$base$funnel_path"
measure report_insights "$base/api/v1/projects/demo/events/insights" "$insights_body" POST

# the same questions of the raw rows: median of three runs, in ms
raw_ms() {
  local sql=$1 runs=()
  for _ in 1 2 3; do
    runs+=("$(psql -X -h 127.0.0.1 -p "$STACK_PG_PORT" -U postgres -d analytics -c '\timing on' -c "$sql" \
               | awk '/^Time:/ {print $2}')")
  done
  printf '%s\n' "${runs[@]}" | sort -n | sed -n 2p
}
range="e.received_at >= '2025-03-01T00:00:00Z' AND e.received_at < '2025-04-01T00:00:00Z'"
raw_funnel_ms=$(raw_ms "SELECT i.source, count(*) FROM events e JOIN interactions i ON i.tenant_id = e.tenant_id AND i.event_id = e.id
  WHERE e.tenant_id = $tenant AND $range GROUP BY 1;
  SELECT a.source, a.event_type, sum(a.credit_micros) FROM events e JOIN attributions a ON a.tenant_id = e.tenant_id AND a.event_id = e.id
  WHERE e.tenant_id = $tenant AND $range GROUP BY 1, 2")
raw_insights_ms=$(raw_ms "SELECT date_trunc('day', c.event_date AT TIME ZONE 'UTC'), count(*), sum((c.data->>'turnover')::float8),
  count(*) FILTER (WHERE c.data->>'paid' = '1') FROM computed_events c
  WHERE c.tenant_id = $tenant AND c.event_date >= '2025-03-01T00:00:00Z' AND c.event_date <= '2025-03-31T23:59:59Z' GROUP BY 1")
echo "reports: the raw questions took ${raw_funnel_ms} ms (funnel) and ${raw_insights_ms} ms (insights)" >&2

jq -n --slurpfile f "$out/report_funnel.json" --slurpfile i "$out/report_insights.json" \
  --argjson events "$events" --argjson raw_funnel "$raw_funnel_ms" --argjson raw_insights "$raw_insights_ms" '
  ($raw_funnel / $f[0].p95_ms) as $fs | ($raw_insights / $i[0].p95_ms) as $is |
  {
    report_events: $events,
    funnel_report_p95_ms: $f[0].p95_ms, insights_p95_ms: $i[0].p95_ms,
    funnel_report_rps: $f[0].rps, insights_rps: $i[0].rps,
    funnel_report_errors: $f[0].errors, insights_errors: $i[0].errors,
    raw_funnel_ms: $raw_funnel, raw_insights_ms: $raw_insights,
    funnel_vs_raw_speedup: ($fs * 10 | round / 10), insights_vs_raw_speedup: ($is * 10 | round / 10),
    report_vs_raw_speedup: ([$fs, $is] | min * 10 | round / 10)
  }' > "$out/reports.json"
cat "$out/reports.json"
