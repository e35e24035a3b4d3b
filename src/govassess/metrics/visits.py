"""暗访 (mystery visits) as a record set: strict import of a visits file for offline work, the template, and
the ``visits.csv`` a records folder holds so that the ordinary metrics (definitions.yaml, ``visit_*``) and
metrics maps turn visits into leaf inputs.

The metrics layer itself skips bad records (and counts them); an import is stricter: any bad row refuses the
whole file with every problem located (file, sheet, row, column), because a visit file is small and typed by
hand, and a half-imported set of visits would silently change a unit's score.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from govassess.errors import ProblemCollector, UserError
from govassess.outputs import OutputSet, csv_row, save_workbook

from .schemas import VISIT_CHANNELS, VISIT_OUTCOMES, VISITS

SHEET = "暗访记录"
COLUMNS = VISITS.columns
_BY_HEADER = {c.name: c for c in COLUMNS} | {c.label: c for c in COLUMNS}
_MINUTES = ("waiting_minutes", "handling_minutes")
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d")


@dataclass
class Visit:
    visit_id: str
    unit: str
    visited_at: dt.datetime  # naive, local time of the office (Asia/Shanghai by default)
    channel: str
    outcome: str
    visitor: str = ""
    matter: str = ""
    waiting_minutes: float | None = None
    handling_minutes: float | None = None
    note: str = ""
    evidence: list[str] = field(default_factory=list)

    def record(self) -> dict[str, str]:
        """The row of ``visits.csv`` (English column names, docs/records.md)."""
        return {
            "visit_id": self.visit_id,
            "unit": self.unit,
            "visited_at": self.visited_at.strftime("%Y-%m-%d %H:%M:%S"),
            "visitor": self.visitor,
            "channel": self.channel,
            "matter": self.matter,
            "waiting_minutes": _num_text(self.waiting_minutes),
            "handling_minutes": _num_text(self.handling_minutes),
            "outcome": self.outcome,
            "note": self.note,
            "evidence": "；".join(self.evidence),
        }


def _num_text(v: float | None) -> str:
    if v is None:
        return ""
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def parse_time(text: str, zone: str = "Asia/Shanghai") -> dt.datetime | None:
    """Local naive time; a time with an offset (…+08:00, …Z) is converted to `zone` first."""
    t = text.strip().replace("/", "-")
    if re.search(r"\d(Z|z|[+-]\d{2}:?\d{2})$", t):
        try:
            aware = dt.datetime.fromisoformat(t.upper().replace("Z", "+00:00"))
        except ValueError:
            return None
        return aware.astimezone(ZoneInfo(zone)).replace(tzinfo=None) if aware.tzinfo else aware
    for fmt in _TIME_FORMATS:
        try:
            return dt.datetime.strptime(t, fmt)
        except ValueError:
            continue
    return None


def parse_minutes(text: str) -> float | None | str:
    """Minutes as a number; '' → None; anything else → the string 'bad'."""
    t = text.strip().removesuffix("分钟").strip()
    if not t:
        return None
    try:
        value = float(t)
    except ValueError:
        return "bad"
    if value != value or value in (float("inf"), float("-inf")):
        return "bad"
    return value


def validate_row(
    values: Mapping[str, str],
    *,
    units: Iterable[str] | None,
    period: tuple[dt.date, dt.date] | None,
    problems: ProblemCollector,
    zone: str = "Asia/Shanghai",
    **where: object,
) -> Visit | None:
    """One visit from text values keyed by English column names; each problem is added with `where` and the
    column's Chinese label. Used by the file import and by the web form (one way of checking a visit)."""
    before = len(problems.problems)
    label = {c.name: c.label for c in COLUMNS}

    def bad(col: str, message: str) -> None:
        problems.add(message, column=label[col], **where)

    text = {c.name: str(values.get(c.name) or "").strip() for c in COLUMNS}
    for c in COLUMNS:
        if c.required and not text[c.name]:
            bad(c.name, f"必填项「{c.label}」为空")
    unit_set = set(units) if units is not None else None
    if text["unit"] and unit_set is not None and text["unit"] not in unit_set:
        bad("unit", f"单位「{text['unit']}」不在评估对象名单中")
    when = None
    if text["visited_at"]:
        when = parse_time(text["visited_at"], zone)
        if when is None:
            bad("visited_at", f"「暗访时间」不是有效的时间：「{text['visited_at']}」（应为 2021-03-01 09:30）")
        elif period is not None and not (period[0] <= when.date() <= period[1]):
            bad(
                "visited_at",
                f"暗访时间 {when:%Y-%m-%d %H:%M} 不在本轮评估期间（{period[0]:%Y-%m-%d} 至 {period[1]:%Y-%m-%d}）内",
            )
    if text["channel"] and text["channel"] not in VISIT_CHANNELS:
        bad("channel", f"「暗访渠道」取值「{text['channel']}」不在允许范围内（{' / '.join(VISIT_CHANNELS)}）")
    if text["outcome"] and text["outcome"] not in VISIT_OUTCOMES:
        bad("outcome", f"「办理结果」取值「{text['outcome']}」不在允许范围内（{' / '.join(VISIT_OUTCOMES)}）")
    minutes: dict[str, float | None] = {}
    for col in _MINUTES:
        value = parse_minutes(text[col])
        if value == "bad":
            bad(col, f"「{label[col]}」应为分钟数（如 15），而不是「{text[col]}」")
            minutes[col] = None
        elif value is not None and value < 0:
            bad(col, f"「{label[col]}」不能为负数（{text[col]}）")
            minutes[col] = None
        else:
            minutes[col] = value  # type: ignore[assignment]
    if len(problems.problems) > before or when is None:
        return None
    evidence = [p.strip() for p in re.split(r"[；;]", text["evidence"]) if p.strip()]
    return Visit(
        visit_id=text["visit_id"], unit=text["unit"], visited_at=when, channel=text["channel"],
        outcome=text["outcome"], visitor=text["visitor"], matter=text["matter"],
        waiting_minutes=minutes["waiting_minutes"], handling_minutes=minutes["handling_minutes"],
        note=text["note"], evidence=evidence,
    )


def read_visits(
    path: Path,
    *,
    units: Iterable[str] | None = None,
    period: tuple[dt.date, dt.date] | None = None,
    zone: str = "Asia/Shanghai",
    name: str | None = None,
) -> list[Visit]:
    """All visits of a CSV/XLSX file (headers English or Chinese), or a UserError listing every bad row."""
    from .engines import read_xlsx_rows, refuse_repeated_names

    shown = name or path.name
    suffix = path.suffix.lower()
    sheet = None
    if suffix == ".xlsx":
        header, rows = read_xlsx_rows(path)
        sheet = SHEET
    elif suffix == ".csv":
        try:
            with path.open(encoding="utf-8-sig", newline="") as f:
                reader = csv.reader(f)
                header = [h.strip() for h in next(reader, [])]
                refuse_repeated_names(header, shown)
                rows = [(reader.line_num, r) for r in reader if any(v.strip() for v in r)]
        except UnicodeDecodeError:
            raise UserError("CSV 文件不是 UTF-8 编码（请在 Excel 中另存为“CSV UTF-8”）", file=shown) from None
    else:
        raise UserError(f"文件「{shown}」不是 Excel（.xlsx）或 CSV 文件", file=shown)
    where: dict[str, object] = {"file": shown}
    if sheet:
        where["sheet"] = sheet
    columns: dict[int, str] = {}
    for i, h in enumerate(header):
        col = _BY_HEADER.get(h)
        if col is not None:
            if col.name in columns.values():
                raise UserError(f"列「{col.label}」出现了两次（英文名和中文名只写一个）", column=h, **where)
            columns[i] = col.name
    missing = [c.label for c in COLUMNS if c.required and c.name not in columns.values()]
    if missing:
        raise UserError(f"缺少必填列：{'、'.join(missing)}（模板见 govassess visits template）", row=1, **where)
    problems = ProblemCollector()
    visits: list[Visit] = []
    seen: dict[str, int] = {}
    for row_no, cells in rows:
        values = {col: (cells[i] if i < len(cells) and cells[i] is not None else "") for i, col in columns.items()}
        v = validate_row(values, units=units, period=period, problems=problems, zone=zone, row=row_no, **where)
        if v is None:
            continue
        if v.visit_id in seen:
            problems.add(f"暗访编号「{v.visit_id}」与第 {seen[v.visit_id]} 行重复", row=row_no, column="暗访编号", **where)
            continue
        seen[v.visit_id] = row_no
        visits.append(v)
    problems.raise_if_any()
    return visits


def write_records(visits: Iterable[Visit], folder: Path) -> Path:
    """``visits.csv`` in a records folder (the file the metrics layer reads)."""
    return write_csv(visits, folder / "visits.csv")


def write_csv(visits: Iterable[Visit], path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(VISITS.names)
        for v in visits:
            w.writerow(csv_row(v.record().values()))
    return path


def template_workbook(target) -> None:  # noqa: ANN001 — a path or a binary file object
    """The blank visits workbook: Chinese headers, a 说明 sheet with each column's allowed values."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append([c.label for c in COLUMNS])
    ws.append(["V001", "（单位编码）", "2021-03-01 09:30", "（评估人员）", "窗口", "（如：营业执照变更）",
               "15", "10", "办成", "", ""])
    for i, c in enumerate(COLUMNS, start=1):
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = max(12, len(c.label) * 3)
    doc = wb.create_sheet("说明")
    doc.append(["列", "英文名", "必填", "写法"])
    for c in COLUMNS:
        how = " / ".join(c.choices) if c.choices else {
            "timestamp": "时间，如 2021-03-01 09:30（北京时间）", "float": "分钟数，不能为负"}.get(c.type, "文本")
        doc.append([c.label, c.name, "是" if c.required else "", f"{how}{'；' + c.doc if c.doc else ''}"])
    save_workbook(wb, target)


def write_template(path: Path) -> Path:
    with OutputSet() as out:
        template_workbook(out.file(path, option="--out"))
    return path
