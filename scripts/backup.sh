#!/usr/bin/env bash
# Back up the platform: the database (pg_dump, custom format; SQLite: an online copy) and the files under the
# data directory that the database points to (evidence/, evidence-retained/, records/ uploaded by the office).
#   DATABASE_URL=postgres://… GOVASSESS_DATA_DIR=/srv/govassess bash scripts/backup.sh /backup/govassess
# Writes <目标目录>/govassess-<时间>/ with database.dump (or database.sqlite3), files.tar.gz, SHA256SUMS and
# info.txt; the folder appears only when complete (written as .govassess-<时间>.tmp, then renamed).
# Online: the dump is one consistent snapshot; files uploaded while it runs may be in files.tar.gz without a
# row in the dump (harmless: unreferenced), never the other way round, because files are archived after
# the dump. Keep the backups on another machine. See docs/deployment.md.
set -euo pipefail
dest=${1:-}
[ -n "$dest" ] || { echo "用法：bash scripts/backup.sh 备份目录" >&2; exit 2; }
[ -d "$dest" ] || { echo "备份目录 $dest 不存在，请先创建" >&2; exit 2; }
data=${GOVASSESS_DATA_DIR:-$PWD/var}
[ -d "$data" ] || { echo "数据目录 $data 不存在（GOVASSESS_DATA_DIR）" >&2; exit 2; }
url=${DATABASE_URL:-sqlite:///$data/govassess.sqlite3}

stamp=$(date +%Y%m%d-%H%M%S)
final="$dest/govassess-$stamp"
[ -e "$final" ] && { echo "$final 已存在，请稍后再试" >&2; exit 2; }
work="$dest/.govassess-$stamp.tmp"
trap 'rm -rf "$work"' EXIT
mkdir -m 700 "$work"

pgbin() {  # the newest installed client, so it is not older than the server
  local b; b=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -n "$b" ] && [ -x "$b/$1" ]; then echo "$b/$1"; else command -v "$1"; fi
}

case "$url" in
  postgres://*|postgresql://*)
    "$(pgbin pg_dump)" --format=custom --no-owner --no-privileges --dbname="$url" --file="$work/database.dump"
    kind=postgresql ;;
  sqlite://*)
    db=${url#sqlite://}; db=${db#/}; db="/${db#/}"
    [ -f "$db" ] || { echo "SQLite 数据库 $db 不存在" >&2; exit 2; }
    # the sqlite3 backup API: a consistent copy while the platform runs
    python3 - "$db" "$work/database.sqlite3" <<'PY'
import sqlite3, sys
src, dst = sqlite3.connect(sys.argv[1]), sqlite3.connect(sys.argv[2])
with dst:
    src.backup(dst)
src.close(); dst.close()
PY
    kind=sqlite ;;
  *) echo "不支持的 DATABASE_URL：${url%%:*}://…（应为 postgres:// 或 sqlite://）" >&2; exit 2 ;;
esac

folders=()
for f in evidence evidence-retained records; do [ -d "$data/$f" ] && folders+=("$f"); done
if [ ${#folders[@]} -eq 0 ]; then
  tar -C "$data" -czf "$work/files.tar.gz" --files-from /dev/null
else
  # exit 1 is "a file changed while being read" (an upload during the backup): still a usable archive
  tar -C "$data" -czf "$work/files.tar.gz" --exclude='.*.tmp*' "${folders[@]}" || [ $? -eq 1 ]
fi
{
  echo "govassess 备份"
  echo "时间：$(date '+%Y-%m-%d %H:%M:%S %z')"
  echo "数据库：$kind"
  echo "文件：${folders[*]:-（无）}"
  echo "佐证材料文件数：$( [ -d "$data/evidence" ] && find "$data/evidence" -type f | wc -l || echo 0)"
} > "$work/info.txt"
(cd "$work" && sha256sum database.* files.tar.gz info.txt > SHA256SUMS)
mv "$work" "$final"
trap - EXIT
echo "备份完成：$final"
