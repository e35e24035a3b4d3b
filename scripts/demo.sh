#!/usr/bin/env bash
# Set up and run the main job on embedded defaults: score both 阳江 2021 systems for the 41 departments and
# 7 县(市、区) over two rounds, combine them 40/60, write JSON + workbooks to demo-output/, then start the web
# platform on SQLite with the demo organisation (set SERVE=0 to stop after the scoring demo).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/govassess demo --out demo-output
if [ "${SERVE:-1}" != 0 ]; then
  exec .venv/bin/govassess serve
fi
