#!/usr/bin/env bash
# Set up govassess on a fresh Debian/Ubuntu machine.
#   bash scripts/setup.sh          Python environment only (enough for the CLI, the demo and the web platform on SQLite)
#   bash scripts/setup.sh --full   also the system packages the whole test suite needs: PostgreSQL, Chromium,
#                                  LibreOffice Calc (WPS/Excel stand-in) and Writer (--pdf-engine libreoffice), poppler-utils,
#                                  CJK fonts (Noto Serif/Sans CJK SC: charts and PDF documents), Java (Spark local mode)
# Idempotent: what is already there is not installed again. Needs root (or sudo) for --full.
set -euo pipefail
cd "$(dirname "$0")/.."

full=0
[ "${1:-}" = "--full" ] && full=1

if [ "$full" = 1 ]; then
  want=(postgresql chromium chromium-driver libreoffice-calc-nogui libreoffice-writer-nogui poppler-utils fonts-noto-cjk)
  command -v java >/dev/null 2>&1 || want+=(default-jre-headless)
  missing=()
  for p in "${want[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
    echo "== 安装系统软件包（与 Python 软件包同时安装）：${missing[*]}"
    # The system packages and the Python packages download at the same time (pip needs none of them); the
    # apt output goes to a log shown only if it fails.
    apt_log=$(mktemp)
    ( $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
        --no-install-recommends "${missing[@]}" ) >"$apt_log" 2>&1 &
    apt_pid=$!
  fi
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "== 创建虚拟环境 .venv"
  "$python" -m venv .venv
fi
extras="postgres"
[ "$full" = 1 ] && extras="dev,postgres,spark"
echo "== 安装 govassess[$extras]"
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[$extras]"
if [ -n "${apt_pid:-}" ]; then
  if ! wait "$apt_pid"; then
    cat "$apt_log" >&2
    echo "系统软件包安装失败（见上方 apt-get 的输出）" >&2
    exit 1
  fi
  rm -f "$apt_log"
fi
