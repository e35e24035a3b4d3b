"""The one user-error type of govassess.

Every problem a user can fix (a bad file, an unknown code, a value out of range)
is raised as :class:`UserError` carrying one or more located :class:`Problem`s.
Adapters render it their own way: the CLI prints it and exits 2, the web shows it
beside the field. Messages are in Simplified Chinese.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One located problem. Row numbers are as the user sees them (1-based, header = 1)."""

    message: str
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    indicator: str | None = None
    field: str | None = None

    def where(self) -> str:
        parts = []
        if self.file:
            parts.append(f"文件 {self.file}")
        if self.sheet:
            parts.append(f"工作表「{self.sheet}」")
        if self.row is not None:
            parts.append(f"第 {self.row} 行")
        if self.column:
            parts.append(f"列「{self.column}」")
        if self.indicator:
            parts.append(f"指标 {self.indicator}")
        if self.field:
            parts.append(f"字段 {self.field}")
        return "，".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}：{self.message}" if where else self.message

    def to_dict(self) -> dict[str, object]:
        return {k: v for k, v in asdict(self).items() if v is not None}


class UserError(Exception):
    """A problem the user must fix. Carries every problem found, not just the first."""

    def __init__(self, message: str | None = None, *, problems: Iterable[Problem] | None = None, **where: object):
        found = list(problems or [])
        if message is not None:
            found.insert(0, Problem(message, **where))  # type: ignore[arg-type]
        if not found:
            raise ValueError("UserError needs a message or problems")
        self.problems: list[Problem] = found
        super().__init__(str(self))

    def __str__(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        lines = [f"发现 {len(self.problems)} 处问题："]
        lines += [f"  {i}. {p}" for i, p in enumerate(self.problems[:200], 1)]
        if len(self.problems) > 200:
            lines.append(f"  ……另有 {len(self.problems) - 200} 处问题未列出")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        return {"message": str(self.problems[0]), "problems": [p.to_dict() for p in self.problems]}


class ProblemCollector:
    """Collects problems while a file is checked; raises them all at once."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, message: str, **where: object) -> None:
        self.problems.append(Problem(message, **where))  # type: ignore[arg-type]

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self) -> None:
        if self.problems:
            raise UserError(problems=self.problems)


@contextmanager
def shown_as(path: str | Path, name: str) -> Iterator[None]:
    """Problems raised while reading a temporary copy of an upload name the file the user sent, not the copy
    (a server's temporary folder means nothing to the user and is none of their business)."""
    copies = {str(path), Path(path).name}
    try:
        yield
    except UserError as err:
        raise UserError(problems=[replace(p, file=name) if p.file in copies else p for p in err.problems]) from None
