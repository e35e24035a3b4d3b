#!/usr/bin/env bash
# Set everything up and run the whole test suite: lint, type check of the core, every test on SQLite,
# then the database-backed tests again on a real PostgreSQL server. Fails if any step fails or no test ran
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

phase "pytest（SQLite）"
env -u DATABASE_URL pytest -q -p no:cacheprovider "${parallel[@]}" "$@"
done_phase

phase "pytest（PostgreSQL）"
# Stop the server afterwards only if this script started it.
pgdir=${PGDATA_DIR:-/tmp/govassess-pg}
pg_was_running=0
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ -f "$pgdir/PG_VERSION" ] && as_pg "$bin/pg_ctl" -D "$pgdir" status >/dev/null 2>&1 && pg_was_running=1
# The trap is set before the start, so a start that fails half way (server up, role not created) is stopped too;
# bash runs EXIT traps on Ctrl+C and SIGTERM as well.
[ "$pg_was_running" = 1 ] || trap 'as_pg "$bin/pg_ctl" -D "$pgdir" -m fast stop >/dev/null 2>&1 || true' EXIT
DATABASE_URL=$(bash scripts/start-postgres.sh)
export DATABASE_URL
# Spark, nodb, sqlite_only and browser tests ran in the SQLite phase and exercise nothing database-specific
# here: the browser walk-throughs' server-side steps are the view and service tests, which run in this phase too
# (docs/performance.md, "The test command").
pytest -q -p no:cacheprovider -m "not spark and not nodb and not sqlite_only and not browser" "${parallel[@]}" tests/web "$@"
done_phase

echo "== 全部通过，共用时 $((SECONDS - start)) 秒"
