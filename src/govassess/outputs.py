"""The one output writer: all of a command's files appear together or none does, and no cell is a formula.

:class:`OutputSet` is a context manager a command registers every target with before writing. Each
target gets a temporary file in its own folder (so the final rename stays on one file system and is
atomic); only when the whole block succeeded are the temporary files renamed into place. On any error
every temporary file (and staged folder) is removed and no target is created or changed. Targets are
checked when registered: two outputs resolving to the same path, a target that is an existing folder and
a target whose folder does not exist are refused with a Chinese :class:`UserError` naming the option.

Crash safety (kill -9, power cut of the process): temporary names carry the writing process's id. Before the
renames start, a small commit journal listing them is written beside the targets; a command killed during the
renames leaves it behind, and the next OutputSet that registers a target in that folder (a re-run, any other
command) — or :func:`recover` — finishes the renames from it, so the folder again holds one whole output set,
never a mix of old and new files. Temporary files and staging folders of processes that no longer exist are
removed at the same moment. (Liveness is judged by process id on this machine; a folder shared over the
network by several machines should not be written by two of them at once.)

Files are created with mode ``0o666`` filtered by the umask (0644 under the usual 022), as ``open()``
would, not ``mkstemp``'s 0600 — an office shares its results with colleagues.

Formula safety: user text (a unit's name, a note) must never become a live formula in a workbook or a
spreadsheet that opens a CSV. For workbooks, openpyxl turns every ``str`` starting with ``=`` into a
formula; :func:`save_workbook` (used by every workbook writer) forces such cells back to the string type,
so the visible text stays exactly what the user typed (no added quote). The project writes no intended
formulas. Text starting with ``+``, ``-``, ``@``, tab or CR is already stored as a string in xlsx. For a
write-only workbook, :func:`text_cell` does the same per cell. For CSV, which carries no types, a
spreadsheet evaluates ``=``, ``+``, ``-``, ``@``, tab and CR at the start of a field, so :func:`csv_cell`
prefixes such text with a single quote (OWASP CSV injection guidance); numbers, negative ones included
and numbers written as text such as ``-5%``, are written unchanged.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterable
from contextlib import suppress
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from govassess.errors import UserError

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Names this module gives its temporaries: ".<name>.<pid>-<8 hex>.tmp…" / ".bak" and the commit journal.
_TEMP = re.compile(r"^\..+\.(?P<pid>\d+)-[0-9a-f]{8}\.(?:tmp|bak)")
_JOURNAL = re.compile(r"^\.govassess-commit\.(?P<pid>\d+)-[0-9a-f]{8}\.json$")


def _tag() -> str:
    return f"{os.getpid()}-{secrets.token_hex(4)}"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def _roll_forward(journal: Path) -> None:
    try:
        plan = json.loads(journal.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        plan = {}  # written partly (killed while writing it): no rename had started
    for staging, target in plan.get("folders", []):
        if Path(staging).is_dir() and not Path(target).exists():
            with suppress(OSError):
                os.rename(staging, target)
    for tmp, target in plan.get("files", []):
        if Path(tmp).exists():
            with suppress(OSError):
                os.replace(tmp, target)
    for copy in {*plan.get("journals", []), str(journal)}:
        Path(copy).unlink(missing_ok=True)


def recover(folder: str | os.PathLike[str]) -> None:
    """Finish what a command killed while committing left in `folder` (from its journal), then remove
    the temporary files and staging folders of processes that no longer run. Called by every OutputSet for
    the folders of its targets; safe to call at any time (live writers' files are left alone)."""
    try:
        entries = sorted(Path(folder).iterdir())
    except OSError:
        return
    for entry in entries:
        m = _JOURNAL.match(entry.name)
        if m and not _alive(int(m["pid"])):
            _roll_forward(entry)
    for entry in entries:
        m = _TEMP.match(entry.name)
        if m and not _alive(int(m["pid"])):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


def _label(option: str | None) -> str:
    return f"（{option}）" if option else ""


def _missing_folder(what: str, path: Path, option: str | None) -> UserError:
    parent = path.parent
    why = "不是目录" if parent.exists() else "不存在，请先创建该目录"
    return UserError(f"{what}{_label(option)}所在的位置 {parent} {why}", file=str(path))


class OutputSet:
    """Register targets with :meth:`file` (and :meth:`folder`), write to the returned temporary paths;
    the targets appear only when the ``with`` block ends without an exception."""

    def __init__(self) -> None:
        self._files: list[tuple[Path, Path]] = []          # (temporary, target)
        self._folders: list[tuple[Path, Path]] = []        # (staging folder, target folder that did not exist)
        self._owners: dict[Path, str | None] = {}          # resolved target → option that named it
        self._staged: dict[Path, Path] = {}                # resolved new folder → its staging folder
        self._recovered: set[Path] = set()                 # folders already cleaned of killed commands' files

    # --- registration ------------------------------------------------------------------------------

    def _claim(self, path: Path, option: str | None) -> Path:
        resolved = path.resolve()
        if resolved in self._owners:
            other = self._owners[resolved]
            if option and other:
                raise UserError(f"{other} 与 {option} 指向同一个文件：两个输出不能写到同一位置，请分别指定", file=str(path))
            raise UserError("同一个输出文件被指定了两次，请分别指定", file=str(path))
        self._owners[resolved] = option
        return resolved

    def file(self, target: str | os.PathLike[str], *, option: str | None = None) -> Path:
        """Register one output file; return the temporary path to write it to."""
        path = Path(target)
        resolved = self._claim(path, option)
        if path.is_dir():
            raise UserError(f"输出文件{_label(option)}是一个已存在的目录，应为文件名", file=str(path))
        self._recover(path.parent)
        staging = self._staged.get(resolved.parent)
        if staging is not None:  # inside a folder this set creates: the staging folder is already temporary
            tmp = staging / path.name
            tmp.touch(mode=0o666, exist_ok=False)
            return tmp
        if not path.parent.is_dir():
            raise _missing_folder("输出文件", path, option)
        tmp = self._new_temp(path)
        self._files.append((tmp, path))
        return tmp

    def folder(self, target: str | os.PathLike[str], *, option: str | None = None) -> Path:
        """Register an output folder whose files are then registered with :meth:`file` (``folder / name``).

        An existing folder keeps its other files; a new one is staged as a temporary sibling folder and
        renamed into place at the end. Its parent must exist. Returns the target path itself."""
        path = Path(target)
        resolved = self._claim(path, option)
        if path.exists() and not path.is_dir():
            raise UserError(f"输出目录{_label(option)}已存在且不是目录", file=str(path))
        self._recover(path.parent)
        if not path.exists():
            if not path.parent.is_dir():
                raise _missing_folder("输出目录", path, option)
            staging = path.parent / f".{path.name}.{_tag()}.tmp"
            staging.mkdir(mode=0o777)
            self._folders.append((staging, path))
            self._staged[resolved] = staging
        return path

    def _recover(self, folder: Path) -> None:
        key = folder.resolve()
        if key not in self._recovered:  # once per folder and set
            self._recovered.add(key)
            recover(folder)

    def _write_journal(self) -> list[Path]:
        """The commit plan, beside every target (any of them lets the next writer finish the commit)."""
        folders = sorted({t.parent.resolve() for _, t in self._files} | {t.parent.resolve() for _, t in self._folders})
        tag = _tag()
        journals = [f / f".govassess-commit.{tag}.json" for f in folders]
        plan = {
            "files": [[str(tmp.resolve()), str(t.resolve())] for tmp, t in self._files],
            "folders": [[str(st.resolve()), str(t.resolve())] for st, t in self._folders],
            "journals": [str(j) for j in journals],
        }
        text = json.dumps(plan, ensure_ascii=False)
        for j in journals:
            part = j.parent / f".govassess-commit.{tag}.tmp"  # not a journal until complete (and a temporary)
            with part.open("w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(part, j)
        return journals

    def _new_temp(self, path: Path) -> Path:
        while True:
            tmp = path.parent / f".{path.name}.{_tag()}.tmp{path.suffix}"
            try:
                # O_EXCL claims the name; mode 0o666 goes through the umask like any ordinary file.
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:
                continue
            os.close(fd)
            return tmp

    # --- lifetime ----------------------------------------------------------------------------------

    def __enter__(self) -> OutputSet:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is not None:
            self.discard()
            return
        try:
            self._commit()
        except BaseException:
            self.discard()
            raise

    def _commit(self) -> None:
        for _staging, target in self._folders:
            if target.exists():  # created meanwhile by someone else: do not merge into it silently
                raise UserError(f"输出目录 {target} 在写出期间被创建，未写入任何文件，请重试", file=str(target))
        # Renames are undone in reverse if one of them fails (a full disk cannot fail a rename, but a
        # permission or a vanished folder can): the old targets are kept as hard links until the end.
        undo: list[Callable[[], None]] = []
        backups: list[Path] = []
        journals = self._write_journal() if len(self._files) + len(self._folders) > 1 else []
        try:
            for staging, target in self._folders:
                os.rename(staging, target)
                undo.append(partial(os.rename, target, staging))
            for tmp, target in self._files:
                backup = self._keep(target) if target.exists() else None
                if backup is not None:
                    backups.append(backup)
                os.replace(tmp, target)
                if backup is not None:
                    undo.append(partial(os.replace, backup, target))
                else:
                    undo.append(partial(target.unlink, missing_ok=True))
        except BaseException:
            for step in reversed(undo):
                with suppress(OSError):
                    step()
            raise
        finally:
            for b in backups:
                b.unlink(missing_ok=True)
            for j in journals:
                j.unlink(missing_ok=True)
        self._folders = []
        self._files = []

    @staticmethod
    def _keep(target: Path) -> Path:
        while True:
            backup = target.parent / f".{target.name}.{_tag()}.bak"
            try:
                os.link(target, backup)
            except FileExistsError:
                continue
            except OSError:  # no hard links on this file system: a copy does
                shutil.copy2(target, backup)
            return backup

    def discard(self) -> None:
        """Remove every temporary file and staged folder; no target is touched."""
        for tmp, _ in self._files:
            tmp.unlink(missing_ok=True)
        for staging, _ in self._folders:
            shutil.rmtree(staging, ignore_errors=True)
        self._files = []
        self._folders = []


# --- formula-safe cells ------------------------------------------------------------------------------

def is_formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


# A number as text ("-2", "+1.5", "-5%") is no formula: kept as is, so an inputs CSV read back by govassess
# (or a spreadsheet) still sees the number.
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?")


def csv_cell(value: Any) -> Any:
    """A CSV field a spreadsheet will not evaluate: text starting with = + - @ tab or CR gets a leading '
    unless it is a plain number such as ``-2`` or ``-5%``."""
    if is_formula_like(value) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_cell(v) for v in values]


def csv_dict(row: dict[str, Any]) -> dict[str, Any]:
    return {k: csv_cell(v) for k, v in row.items()}


def text_cell(ws: Any, value: Any) -> Any:
    """For a write-only worksheet: a cell whose text is never read as a formula (other values unchanged)."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import Cell

    if isinstance(value, Cell):
        if value.data_type == "f":
            value.data_type = "s"
        return value
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        return cell
    return value


def seal_sheet(ws: Any) -> int:
    """Turn every formula cell of one (normal) worksheet into text; return how many."""
    sealed = 0
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"
                sealed += 1
    return sealed


def seal_formulas(wb: Any) -> int:
    """Turn every formula cell of a (normal, not write-only) workbook into text; return how many."""
    return sum(seal_sheet(ws) for ws in wb.worksheets)


def save_workbook(wb: Any, target: str | os.PathLike[str] | IO[bytes]) -> None:
    """Save a workbook built from user data: every ``=…`` text stays text (see the module docstring)."""
    if not getattr(wb, "write_only", False):
        seal_formulas(wb)
    wb.save(target)

