#!/usr/bin/env bash
# The slow fuzz job of issue 15: every reader (YAML files of each kind, JSON for combine and inspect-inputs,
# CSV/XLSX units and inputs, indicator tables, survey workbooks, questionnaire definitions, the expression
# language) with ≥ 10,000 generated cases in all. Each case must end in success or a located Chinese
# UserError within the time bound and write nothing on failure (tests/regressions/fuzzkit.py).
# Prints the number of cases per reader and in total at the end. Extra arguments go to pytest
# (e.g. -n 2 to run the readers in parallel, -x to stop at the first failure).
# Uses the project's .venv (scripts/setup.sh), or the python on PATH when there is none.
set -euo pipefail
cd "$(dirname "$0")/.."
python=python
[ -x .venv/bin/python ] && python=.venv/bin/python
start=$SECONDS
PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" "$python" -m pytest -q -p no:cacheprovider -m fuzz \
  tests/regressions/test_fuzz_readers.py "$@"
echo "模糊测试用时 $((SECONDS - start)) 秒"
