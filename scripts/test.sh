#!/usr/bin/env bash
# Set everything up and run the whole test suite: lint, type check of the core, every test on SQLite,
# then the database-backed tests again on a real PostgreSQL server. Fails if any step fails or no test ran.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --full
export PATH="$PWD/.venv/bin:$PATH"

echo "== ruff"
ruff check src tests benchmarks
echo "== mypy（领域核心）"
mypy

echo "== pytest（SQLite）"
env -u DATABASE_URL pytest -q -p no:cacheprovider "$@"

echo "== pytest（PostgreSQL）"
DATABASE_URL=$(bash scripts/start-postgres.sh)
export DATABASE_URL
pytest -q -p no:cacheprovider -m "not spark" tests/web "$@"
