#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for tests on 127.0.0.1 (default port 54329) and print its DATABASE_URL.
#   PGDATA_DIR (default /tmp/govassess-pg), PGPORT (default 54329)
set -euo pipefail
dir=${PGDATA_DIR:-/tmp/govassess-pg}
port=${PGPORT:-54329}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] || { echo "未找到 PostgreSQL 服务器，请先运行 bash scripts/setup.sh --full" >&2; exit 1; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ ! -f "$dir/PG_VERSION" ]; then
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
  as_pg "$bin/initdb" -D "$dir" -A trust -U postgres --encoding=UTF8 --locale=C.UTF-8 >/dev/null
fi
if ! as_pg "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
  # fsync off: a test database, thrown away after the run
  as_pg "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w \
    -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=300" start >/dev/null
fi
psql=( "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -v ON_ERROR_STOP=1 -qAt )
if [ -z "$("${psql[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname='govassess'")" ]; then
  "${psql[@]}" -c "CREATE ROLE govassess LOGIN PASSWORD 'govassess' CREATEDB" >/dev/null
fi
if [ -z "$("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname='govassess'")" ]; then
  "${psql[@]}" -c "CREATE DATABASE govassess OWNER govassess" >/dev/null
fi
echo "postgres://govassess:govassess@127.0.0.1:$port/govassess"
