"""PDF by converting the Word documents with LibreOffice headless, so both formats say the same thing.

Each conversion runs in its own throw-away LibreOffice profile (parallel runs do not fight over one
profile's lock) that carries a font replacement table: the documents ask for 宋体 / 黑体, which a Linux
machine lacks, and LibreOffice would otherwise pick whatever CJK font fontconfig finds first (often the
Japanese Noto variant). The PDF export embeds (subsets of) every font it uses.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path
from xml.sax.saxutils import escape

from govassess.errors import UserError

SUBSTITUTES = {
    "宋体": "Noto Serif CJK SC", "SimSun": "Noto Serif CJK SC", "仿宋": "Noto Serif CJK SC", "FangSong": "Noto Serif CJK SC",
    "黑体": "Noto Sans CJK SC", "SimHei": "Noto Sans CJK SC", "楷体": "Noto Serif CJK SC", "KaiTi": "Noto Serif CJK SC",
    "微软雅黑": "Noto Sans CJK SC", "Microsoft YaHei": "Noto Sans CJK SC",
}
MISSING = ("未找到 LibreOffice（soffice 命令），无法生成 PDF：请运行 bash scripts/setup.sh --full 安装"
           "（Debian/Ubuntu 软件包 libreoffice-writer-nogui），或改用 --format docx 生成 Word 文档")


def soffice() -> str | None:
    """The LibreOffice program: $GOVASSESS_SOFFICE, else soffice / libreoffice on the PATH."""
    configured = os.environ.get("GOVASSESS_SOFFICE")
    if configured:
        return configured if Path(configured).is_file() else None
    return shutil.which("soffice") or shutil.which("libreoffice")


def require_soffice() -> str:
    program = soffice()
    if program is None:
        raise UserError(MISSING)
    return program


def _profile(folder: Path) -> str:
    items = []
    for n, (name, substitute) in enumerate(SUBSTITUTES.items()):
        props = "".join(
            f'<prop oor:name="{k}" oor:op="fuse"><value>{escape(v)}</value></prop>'
            for k, v in (("Always", "true"), ("OnScreenOnly", "false"), ("ReplaceFont", name), ("SubstituteFont", substitute))
        )
        items.append(f'<item oor:path="/org.openoffice.Office.Common/Font/Substitution/FontPairs">'
                     f'<node oor:name="_{n}" oor:op="replace">{props}</node></item>')
    xcu = ('<?xml version="1.0" encoding="UTF-8"?>\n<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
           'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
           '<item oor:path="/org.openoffice.Office.Common/Font/Substitution"><prop oor:name="Replacement" '
           'oor:op="fuse"><value>true</value></prop></item>' + "".join(items) + "</oor:items>\n")
    user = folder / "user"
    user.mkdir(parents=True)
    (user / "registrymodifications.xcu").write_text(xcu, encoding="utf-8")
    return folder.resolve().as_uri()


def _kill(proc: subprocess.Popen[str]) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()


def convert_to_pdf(documents: Sequence[Path], out_dir: Path, *, timeout: float = 600) -> list[Path]:
    """Convert .docx files to PDF into ``out_dir`` (one LibreOffice run for all); return the PDFs' paths."""
    program = require_soffice()
    with tempfile.TemporaryDirectory(prefix="govassess-lo-") as tmp:
        profile = _profile(Path(tmp) / "profile")
        cmd = [program, f"-env:UserInstallation={profile}", "--headless", "--norestore", "--convert-to", "pdf",
               "--outdir", str(out_dir), *map(str, documents)]
        # Its own session: soffice hands the work to a soffice.bin child, which a timeout (or Ctrl-C) must
        # end too, not leave running as an orphan.
        try:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                    env={**os.environ, "HOME": tmp}, start_new_session=True)
        except OSError as e:
            raise UserError(f"无法运行 LibreOffice（{program}）：{e.strerror or e}") from None
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill(proc)
            raise UserError(f"LibreOffice 转换 PDF 超时（超过 {timeout:g} 秒），未写出任何文件") from None
        except BaseException:
            _kill(proc)
            raise
    pdfs = [out_dir / (d.stem + ".pdf") for d in documents]
    failed = [p.name for p in pdfs if not p.is_file() or p.stat().st_size == 0]
    if failed:
        detail = (stderr or stdout or "").strip().splitlines()[-1:] or [f"退出码 {proc.returncode}"]
        raise UserError(f"LibreOffice 未能把文档转换为 PDF（{'、'.join(failed[:5])}）：{detail[0]}；未写出任何文件")
    return pdfs
