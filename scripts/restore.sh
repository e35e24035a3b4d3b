#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into an EMPTY database and an empty data directory.
#   DATABASE_URL=postgres://…/govassess_new GOVASSESS_DATA_DIR=/srv/govassess-new bash scripts/restore.sh /backup/govassess/govassess-20260101-020000
# Checks SHA256SUMS first; refuses (nothing changed) if the database already has tables or the data
# directory already holds evidence. Then: pg_restore (or the SQLite copy), the files, and `migrate` so a
# backup of an older version is brought up to this version's schema. See docs/deployment.md.
set -euo pipefail
cd "$(dirname "$0")/.."
src=${1:-}
[ -n "$src" ] && [ -d "$src" ] || { echo "用法：bash scripts/restore.sh 备份目录（backup.sh 写出的 govassess-时间 目录）" >&2; exit 2; }
data=${GOVASSESS_DATA_DIR:-$PWD/var}
url=${DATABASE_URL:-sqlite:///$data/govassess.sqlite3}
[ -f "$src/SHA256SUMS" ] || { echo "$src 中没有 SHA256SUMS：不是完整的备份" >&2; exit 2; }
(cd "$src" && sha256sum --quiet --check SHA256SUMS) || { echo "备份文件校验失败（SHA256SUMS 不符），未做任何恢复" >&2; exit 2; }

mkdir -p "$data"
for f in evidence evidence-retained records; do
  if [ -d "$data/$f" ] && [ -n "$(ls -A "$data/$f")" ]; then
    echo "数据目录 $data/$f 不为空：恢复只写入空的数据目录，未做任何恢复" >&2; exit 2
  fi
done

pgbin() {
  local b; b=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -n "$b" ] && [ -x "$b/$1" ]; then echo "$b/$1"; else command -v "$1"; fi
}

case "$url" in
  postgres://*|postgresql://*)
    [ -f "$src/database.dump" ] || { echo "备份中没有 database.dump（这是 SQLite 的备份？）" >&2; exit 2; }
    tables=$("$(pgbin psql)" "$url" -qAtc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
    [ "$tables" = 0 ] || { echo "数据库中已有 $tables 张表：恢复只写入新建的空数据库，未做任何恢复" >&2; exit 2; }
    "$(pgbin pg_restore)" --no-owner --no-privileges --exit-on-error --single-transaction --dbname="$url" "$src/database.dump"
    ;;
  sqlite://*)
    db=${url#sqlite://}; db=${db#/}; db="/${db#/}"
    [ -f "$src/database.sqlite3" ] || { echo "备份中没有 database.sqlite3（这是 PostgreSQL 的备份？）" >&2; exit 2; }
    [ -s "$db" ] && { echo "SQLite 数据库 $db 已存在：恢复只写入新的数据库，未做任何恢复" >&2; exit 2; }
    mkdir -p "$(dirname "$db")"
    cp "$src/database.sqlite3" "$db.restoring" && mv "$db.restoring" "$db"
    ;;
  *) echo "不支持的 DATABASE_URL：${url%%:*}://…" >&2; exit 2 ;;
esac

tar -C "$data" -xzf "$src/files.tar.gz"
# Bring an older backup up to this version's schema (nothing to do for a backup of the same version).
if [ -n "${PYTHON:-}" ] || ! command -v govassess >/dev/null 2>&1; then
  DATABASE_URL="$url" GOVASSESS_DATA_DIR="$data" PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" \
    "${PYTHON:-python3}" -m govassess web manage migrate --noinput >/dev/null
else
  DATABASE_URL="$url" GOVASSESS_DATA_DIR="$data" govassess web manage migrate --noinput >/dev/null
fi
echo "恢复完成：数据库 ${url##*@}，数据目录 $data"
