"""The small state kept between runs for one site: home-page fingerprints and availability probes.

One JSON file per site in the ``--state`` directory. Written atomically; a damaged file is a
user error naming the file, never a traceback.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from govassess.errors import UserError

MAX_RUNS = 2000


def state_path(directory: str | Path, site: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", site.split("://", 1)[-1]).strip("_") or "site"
    return Path(directory) / f"{safe}.json"


def load_state(directory: str | Path, site: str) -> dict[str, Any]:
    path = state_path(directory, site)
    if not path.exists():
        return {"site": site, "runs": []}
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(
            f"检查状态文件已损坏，无法读取（{exc}）；可删除该文件后重新开始监测", file=str(path)
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("runs"), list):
        raise UserError("检查状态文件格式不对：缺少 runs 列表", file=str(path))
    return data


def save_state(directory: str | Path, site: str, state: dict[str, Any]) -> Path:
    path = state_path(directory, site)
    path.parent.mkdir(parents=True, exist_ok=True)
    state["runs"] = state["runs"][-MAX_RUNS:]
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(state, fh, ensure_ascii=False, indent=1)
    os.replace(tmp, path)
    return path


def fingerprint_hash(fingerprint: str) -> str:
    return hashlib.sha256(fingerprint.encode("utf-8")).hexdigest()[:16]
