#!/usr/bin/env bash
# The whole product on loopback: PostgreSQL, Redis, the aggregator and nginx
# with the module, all living under one folder (default .run/).
#
#   local_stack.sh start [DIR]          start what is not running, wait until every part answers
#   local_stack.sh run [DIR]            start, print, and stop everything on Ctrl-C
#   local_stack.sh stop [DIR]           stop everything
#   local_stack.sh stop-PART [DIR]      PART: postgres, redis, aggregator, nginx
#   local_stack.sh start-PART [DIR]
#   local_stack.sh status [DIR]
#
# Ports: STACK_HTTP_PORT (nginx, 8080), STACK_REDIS_PORT (6390),
# STACK_PG_PORT (5440), STACK_AGGREGATOR_PORT (8081); the first start
# records them in DIR/ports so later commands reuse them.
# STACK_REDIS_EXTERNAL=1: Redis at STACK_REDIS_PORT is someone else's (a
# Redis Cluster node, say): neither started nor stopped here.
# STACK_SPOOL=off: nginx runs without analytics_spool (default: on, in DIR/nginx/spool);
# STACK_SPOOL=sync: with sync=answer.
# STACK_SHARDS=N: the module writes N stream shards and the aggregator reads them (default 1).
# STACK_NGINX_CONF: release (default) serves the shipped snippet
# config/nginx/analytics-locations.conf with the documents' limits and lets
# pages on loopback origins call it (config/nginx/release.conf.in); test is
# the suite's and the bench's generous configuration (test.conf.in).
# BUILD_DIR (build) holds the module and the aggregator.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
command=${1:-start}
dir=${2:-$root/.run}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
build=${BUILD_DIR:-$root/build}
case "$build" in /*) ;; *) build=$root/$build ;; esac

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)

if [ -f "$dir/ports" ]; then
  # shellcheck disable=SC1091
  . "$dir/ports"
else
  HTTP_PORT=${STACK_HTTP_PORT:-8080}
  REDIS_PORT=${STACK_REDIS_PORT:-6390}
  PG_PORT=${STACK_PG_PORT:-5440}
  AGGREGATOR_PORT=${STACK_AGGREGATOR_PORT:-8081}
  REDIS_EXTERNAL=${STACK_REDIS_EXTERNAL:-}
  SPOOL=${STACK_SPOOL:-on}
  SHARDS=${STACK_SHARDS:-1}
  NGINX_CONF=${STACK_NGINX_CONF:-release}
  printf 'HTTP_PORT=%s\nREDIS_PORT=%s\nPG_PORT=%s\nAGGREGATOR_PORT=%s\nREDIS_EXTERNAL=%s\nSPOOL=%s\nSHARDS=%s\nNGINX_CONF=%s\n' \
    "$HTTP_PORT" "$REDIS_PORT" "$PG_PORT" "$AGGREGATOR_PORT" "$REDIS_EXTERNAL" "$SPOOL" "$SHARDS" "$NGINX_CONF" > "$dir/ports"
fi

database_url="postgresql://postgres@127.0.0.1:$PG_PORT/analytics"
redis_url="redis://127.0.0.1:$REDIS_PORT"
api_url="http://127.0.0.1:$HTTP_PORT"

say() { echo "local_stack: $*" >&2; }
die() { say "$*"; exit 1; }

# PostgreSQL refuses to run as root: as root, run it as the postgres user
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

alive() {  # pidfile
  local pid state
  [ -f "$1" ] || return 1
  pid=$(head -n 1 "$1")
  kill -0 "$pid" 2>/dev/null || return 1
  # a process killed with SIGKILL stays a zombie until its parent (here
  # whatever reaps orphans) collects it: it is gone all the same
  state=$(ps -o stat= -p "$pid" 2>/dev/null || true)
  [ -n "$state" ] && [ "${state#Z}" = "$state" ]
}

wait_for() {  # description, seconds, command...
  local what=$1 seconds=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || die "$what did not come up in ${seconds}s"
    sleep 0.1
  done
}

start_postgres() {
  local data=$dir/postgres
  if [ ! -f "$data/PG_VERSION" ]; then
    [ -n "$pg_bin" ] || die "PostgreSQL server binaries not found (apt-get install postgresql-15)"
    mkdir -p "$data"
    chmod 755 "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$data"
    chmod 700 "$data"
    as_pg "$pg_bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/postgres-init.log" 2>&1 \
      || die "initdb failed; see $dir/postgres-init.log"
    cat >> "$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$data'
max_connections = 100
shared_buffers = 256MB
synchronous_commit = on
fsync = ${STACK_PG_FSYNC:-on}
CONF
  fi
  if as_pg "$pg_bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    return 0
  fi
  as_pg "$pg_bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 start >/dev/null \
    || die "PostgreSQL did not start; see $data/server.log"
  wait_for PostgreSQL 30 "$pg_bin/pg_isready" -h 127.0.0.1 -p "$PG_PORT" -q
  if ! psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='analytics'" | grep -q 1; then
    psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE analytics" >/dev/null
  fi
}

stop_postgres() {
  [ -f "$dir/postgres/PG_VERSION" ] || return 0
  as_pg "$pg_bin/pg_ctl" -D "$dir/postgres" status >/dev/null 2>&1 || return 0
  as_pg "$pg_bin/pg_ctl" -D "$dir/postgres" -m fast -w -t 60 stop >/dev/null
}

start_redis() {
  [ -n "${REDIS_EXTERNAL:-}" ] && return 0
  alive "$dir/redis/redis.pid" && return 0
  mkdir -p "$dir/redis"
  # noeviction: eviction would drop whole streams and their groups
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$dir/redis" \
    --daemonize yes --pidfile "$dir/redis/redis.pid" --logfile "$dir/redis/redis.log" \
    --appendonly yes --appendfsync everysec --save '' --maxmemory-policy noeviction >/dev/null
  wait_for Redis 20 redis-cli -p "$REDIS_PORT" ping
}

stop_redis() {
  [ -n "${REDIS_EXTERNAL:-}" ] && return 0
  alive "$dir/redis/redis.pid" || return 0
  redis-cli -p "$REDIS_PORT" shutdown >/dev/null 2>&1 || true
  local deadline=$((SECONDS + 20))
  while alive "$dir/redis/redis.pid" && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
}

aggregator_env() {
  export ANALYTICS_DATABASE_URL=$database_url
  export ANALYTICS_REDIS_URL=$redis_url
  export ANALYTICS_LISTEN=127.0.0.1:$AGGREGATOR_PORT
  export ANALYTICS_SQL_DIR=$root/sql
  export ANALYTICS_STREAM_SHARDS=${SHARDS:-1}
}

start_aggregator() {
  alive "$dir/aggregator.pid" && return 0
  [ -x "$build/aggregator" ] || die "$build/aggregator is not built (make build)"
  aggregator_env
  "$build/aggregator" migrate >>"$dir/aggregator.log" 2>&1 || die "migrations failed; see $dir/aggregator.log"
  setsid "$build/aggregator" serve >>"$dir/aggregator.log" 2>&1 < /dev/null &
  echo $! > "$dir/aggregator.pid"
  wait_for aggregator 30 curl -sf "http://127.0.0.1:$AGGREGATOR_PORT/readyz"
}

stop_aggregator() {
  alive "$dir/aggregator.pid" || { rm -f "$dir/aggregator.pid"; return 0; }
  local pid; pid=$(cat "$dir/aggregator.pid")
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$dir/aggregator.pid"
}

write_nginx_conf() {
  local template workers
  mkdir -p "$dir/nginx"
  case "${NGINX_CONF:-release}" in
    test) template=test.conf.in; workers=${STACK_NGINX_WORKERS:-1} ;;
    release) template=release.conf.in; workers=${STACK_NGINX_WORKERS:-auto}
      sed -e "s|/usr/share/nginx-analytics/t.js|$root/tracker/t.js|" \
        "$root/config/nginx/analytics-locations.conf" > "$dir/nginx/analytics-locations.conf" ;;
    *) die "STACK_NGINX_CONF is release or test, not ${NGINX_CONF}" ;;
  esac
  sed -e "s|@MODULE@|$build/ngx_http_analytics_module.so|" \
      -e "s|@PREFIX@|$dir/nginx|g" \
      -e "s|@WORKERS@|$workers|" \
      -e "s|@PRELOAD_ENV@|$([ -n "${STACK_NGINX_PRELOAD:-}" ] && echo 'env LD_PRELOAD; env ASAN_OPTIONS;')|" \
      -e "s|@REDIS_PORT@|$REDIS_PORT|" \
      -e "s|@AGGREGATOR_PORT@|$AGGREGATOR_PORT|" \
      -e "s|@HTTP_PORT@|$HTTP_PORT|" \
      -e "s|@SHARDS@|${SHARDS:-1}|" \
      -e "s|@ROOT@|$root|g" \
      -e "s|@SPOOL@|$(case "${SPOOL:-on}" in off) echo off ;; sync) echo "$dir/nginx/spool sync=answer" ;; *) echo "$dir/nginx/spool" ;; esac)|" \
      "$root/config/nginx/$template" > "$dir/nginx/nginx.conf"
}

start_nginx() {
  alive "$dir/nginx/nginx.pid" && return 0
  [ -f "$build/ngx_http_analytics_module.so" ] || die "the module is not built (make build)"
  write_nginx_conf
  local nginx_env=()
  [ -n "${STACK_NGINX_PRELOAD:-}" ] && nginx_env=(env "LD_PRELOAD=$STACK_NGINX_PRELOAD" "ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}")
  # by its full path: a binary upgrade (USR2) runs the master's argv[0] again
  local nginx_binary; nginx_binary=$(command -v nginx)
  "${nginx_env[@]}" "$nginx_binary" -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -e "$dir/nginx/error.log" -t -q \
    || die "nginx -t failed"
  "${nginx_env[@]}" "$nginx_binary" -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -e "$dir/nginx/error.log"
  wait_for nginx 20 test -s "$dir/nginx/nginx.pid"
  wait_for nginx 20 curl -s -o /dev/null "http://127.0.0.1:$HTTP_PORT/t.js"
}

stop_nginx() {
  alive "$dir/nginx/nginx.pid" || return 0
  local pid; pid=$(cat "$dir/nginx/nginx.pid")
  kill -QUIT "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 20))
  while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

# an admin token and a demo tenant, made once per stack
seed() {
  aggregator_env
  if [ ! -s "$dir/admin-token" ] || ! curl -sf -o /dev/null -H "Authorization: Bearer $(cat "$dir/admin-token")" \
       "$api_url/api/v1/admin/tenants?limit=0"; then
    "$build/aggregator" token create --admin --subject local-admin > "$dir/admin-token.new"
    mv "$dir/admin-token.new" "$dir/admin-token"
    chmod 600 "$dir/admin-token"
  fi
  local token; token=$(cat "$dir/admin-token")
  local tenant
  tenant=$(curl -s -H "Authorization: Bearer $token" "$api_url/api/v1/admin/tenants/demo")
  if ! echo "$tenant" | jq -e .id >/dev/null 2>&1; then
    tenant=$(curl -s -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
      -d '{"slug":"demo","name":"Demo tenant","active":true,"public":true}' "$api_url/api/v1/admin/tenants")
  fi
  echo "$tenant" | jq -e '{id, uuid, slug}' -c > "$dir/demo-tenant.json" || die "could not create the demo tenant: $tenant"
  printf 'API_URL=%s\nREDIS_URL=%s\nDATABASE_URL=%s\nADMIN_TOKEN_FILE=%s\n' \
    "$api_url" "$redis_url" "$database_url" "$dir/admin-token" > "$dir/env"
}

start_all() {
  start_postgres
  start_redis
  start_aggregator
  start_nginx
  seed
}

stop_all() {
  stop_nginx
  stop_aggregator
  stop_redis
  stop_postgres
}

print_summary() {
  cat <<INFO
The analytics stack is up:
  nginx + module   $api_url   (track: POST $api_url/api/v1/analytics/track)
  aggregator       http://127.0.0.1:$AGGREGATOR_PORT   (behind nginx too)
  redis            $redis_url
  postgresql       $database_url
  admin token      $dir/admin-token
  demo tenant      $(cat "$dir/demo-tenant.json")
  environment      $dir/env
  logs             $dir/aggregator.log  $dir/nginx/error.log  $dir/redis/redis.log  $dir/postgres/server.log
Try:
  curl -i -X POST $api_url/api/v1/analytics/track -H 'Content-Type: application/json' \\
       -d '{"tenant_id":"demo","type":"whatsapp_click","metadata":{"source":"readme"}}'
INFO
}

case "$command" in
  start) start_all; print_summary ;;
  run)
    start_all
    print_summary
    trap 'echo; say "stopping"; stop_all; exit 0' INT TERM
    say "running; Ctrl-C stops everything"
    while true; do sleep 1; done ;;
  stop) stop_all ;;
  status)
    for part in postgres redis aggregator nginx; do
      case $part in
        postgres) as_pg "$pg_bin/pg_ctl" -D "$dir/postgres" status >/dev/null 2>&1 && s=up || s=down ;;
        redis) alive "$dir/redis/redis.pid" && s=up || s=down ;;
        aggregator) alive "$dir/aggregator.pid" && s=up || s=down ;;
        nginx) alive "$dir/nginx/nginx.pid" && s=up || s=down ;;
      esac
      echo "$part $s"
    done ;;
  start-postgres|start-redis|start-aggregator|start-nginx|stop-postgres|stop-redis|stop-aggregator|stop-nginx)
    "${command/-/_}" ;;
  *) die "unknown command $command (start, run, stop, status, start-PART, stop-PART)" ;;
esac
