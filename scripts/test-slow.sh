#!/usr/bin/env bash
# The tests too slow for the default command (scripts/test.sh), marked `separate` in tests/: today the Spark engine
# run in a process without pandas (tests/metrics/test_spark_without_pandas.py — a JVM of its own, 1–8 minutes on a
# shared 2-core machine). The large fuzz job is scripts/fuzz.sh. Extra arguments go to pytest.
# Uses the project's .venv (scripts/setup.sh --full installs Java), or the python on PATH when there is none.
set -euo pipefail
cd "$(dirname "$0")/.."
python=python
[ -x .venv/bin/python ] && python=.venv/bin/python
start=$SECONDS
PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" "$python" -m pytest -q -p no:cacheprovider -m separate tests "$@"
echo "单独运行的慢测试用时 $((SECONDS - start)) 秒"
