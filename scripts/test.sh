#!/usr/bin/env bash
# Set everything up and run the whole test suite: lint, type check of the core, every test on SQLite and, at
# the same time, the database-backed tests again on a real PostgreSQL server. Fails if any step fails or no test ran
# (pytest's exit 5). Tests run on every core in parallel (pytest-xdist; one test file stays on one worker,
# so module-level fixtures are built once); TEST_WORKERS=0 runs them in one process. Two slow jobs are separate
# commands (docs/performance.md): scripts/fuzz.sh (the large fuzz run) and scripts/test-slow.sh (marker separate).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
phase() { echo "== $1"; phase_start=$SECONDS; }
done_phase() { echo "   （用时 $((SECONDS - phase_start)) 秒）"; }

phase "安装"
bash scripts/setup.sh --full
export PATH="$PWD/.venv/bin:$PATH"
done_phase

workers=${TEST_WORKERS:-$(nproc)}
parallel=()
[ "$workers" -gt 1 ] && parallel=(-n "$workers" --dist loadfile)

phase "ruff"
ruff check src tests benchmarks
done_phase
phase "mypy（领域核心）"
mypy
done_phase

# The two database phases run at the same time: alone, neither keeps both cores busy (browser and live-server
# waits, real subprocesses, the Spark worker), together they do (docs/performance.md, "The test command"). The
# SQLite phase prints its progress here; the PostgreSQL phase's output follows when both have ended.
pgdir=${PGDATA_DIR:-/tmp/govassess-pg}
pg_was_running=0
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ -f "$pgdir/PG_VERSION" ] && as_pg "$bin/pg_ctl" -D "$pgdir" status >/dev/null 2>&1 && pg_was_running=1
pg_pid=""
pg_log=$(mktemp)
cleanup() {
  # bash runs EXIT traps on Ctrl+C and SIGTERM as well: the background phase and (only if this script
  # started it, also after a start that failed half way) the server are stopped.
  if [ -n "$pg_pid" ]; then pkill -TERM -P "$pg_pid" 2>/dev/null || true; kill "$pg_pid" 2>/dev/null || true; fi
  [ "$pg_was_running" = 1 ] || as_pg "$bin/pg_ctl" -D "$pgdir" -m fast stop >/dev/null 2>&1 || true
  rm -f "$pg_log"
}
trap cleanup EXIT
DATABASE_URL=$(bash scripts/start-postgres.sh)
export DATABASE_URL

# Spark, nodb, sqlite_only and browser tests exercise nothing database-specific (the browser walk-throughs'
# server-side steps are the view and service tests, which run here): they run in the SQLite phase only.
(
  s=$SECONDS
  rc=0
  pytest -q -p no:cacheprovider -m "not spark and not nodb and not sqlite_only and not browser" \
    "${parallel[@]}" tests/web "$@" || rc=$?
  echo "   （用时 $((SECONDS - s)) 秒）"
  exit $rc
) >"$pg_log" 2>&1 &
pg_pid=$!

phase "pytest（SQLite；PostgreSQL 阶段同时在后台运行）"
sqlite_rc=0
env -u DATABASE_URL pytest -q -p no:cacheprovider "${parallel[@]}" "$@" || sqlite_rc=$?
done_phase

pg_rc=0
wait "$pg_pid" || pg_rc=$?
pg_pid=""
echo "== pytest（PostgreSQL）"
cat "$pg_log"

[ "$sqlite_rc" = 0 ] || { echo "SQLite 阶段失败（pytest 退出码 $sqlite_rc）" >&2; exit "$sqlite_rc"; }
[ "$pg_rc" = 0 ] || { echo "PostgreSQL 阶段失败（pytest 退出码 $pg_rc）" >&2; exit "$pg_rc"; }
echo "== 全部通过，共用时 $((SECONDS - start)) 秒"
