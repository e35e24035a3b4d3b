"""The 整改任务 list as an Excel workbook: the rows the task page shows under its filters (every page of them),
with the latest answer and review of each task. Written through the project's one writer rules
(govassess.outputs): user text is never a formula; dates are Excel dates, not text."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable

from django.utils import timezone

from govassess.outputs import save_workbook, text_cell

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# (header, width): widths in characters, wide enough for Chinese text at the default font.
COLUMNS = [
    ("单位编码", 10), ("单位", 26), ("指标编码", 10), ("指标", 22), ("失分", 8), ("评分说明", 40),
    ("整改要求", 40), ("牵头科室", 14), ("整改期限", 12), ("状态", 10), ("逾期天数", 9),
    ("最近答复", 40), ("答复时间（北京时间）", 18), ("复核意见", 30), ("撤销原因", 24),
]
DATE_FORMAT = "yyyy-mm-dd"
TIME_FORMAT = "yyyy-mm-dd hh:mm"


def _review(task) -> str:
    kind, text = getattr(task, "last_review_kind", None), (getattr(task, "last_review_text", None) or "").strip()
    if kind == "accept":
        return f"通过：{text}" if text else "通过"
    if kind == "return":
        return f"退回：{text}"
    return ""


def tasks_workbook_bytes(tasks: Iterable, *, today: dt.date, title: str) -> bytes:
    """`tasks`: Task rows annotated by selectors.with_history. `title` names the round on the sheet's print
    header (the sheet itself starts with the header row, so it sorts and filters as a plain table)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)  # thousands of rows: streamed, not kept as cell objects
    ws = wb.create_sheet("整改任务")
    for i, (_name, width) in enumerate(COLUMNS):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.oddHeader.center.text = title
    bold = Font(bold=True)
    head = []
    for name, _width in COLUMNS:
        cell = WriteOnlyCell(ws, value=name)
        cell.font = bold
        head.append(cell)
    ws.append(head)
    count = 0
    for t in tasks:
        deadline = WriteOnlyCell(ws, value=t.deadline)
        deadline.number_format = DATE_FORMAT
        answered = getattr(t, "last_answer_at", None)
        answered_cell = None
        if answered is not None:  # a Beijing wall-clock time: Excel has no time zones
            answered_cell = WriteOnlyCell(ws, value=timezone.localtime(answered).replace(tzinfo=None))
            answered_cell.number_format = TIME_FORMAT
        row = [t.unit.code, t.unit.name, t.indicator, t.indicator_name, t.lost, t.reason, t.requirement,
               t.lead or None, deadline, t.get_status_display(), t.days_overdue(today),
               getattr(t, "last_answer", None) or None, answered_cell, _review(t) or None,
               getattr(t, "withdraw_reason", None) or None]
        # No per-cell wrap style on the long texts: at 9,000 rows the style objects cost more than the data.
        ws.append([text_cell(ws, value) for value in row])  # "=…" typed by a user stays text
        count += 1
    ws.auto_filter.ref = f"A1:{chr(ord('A') + len(COLUMNS) - 1)}{count + 1}"
    buf = io.BytesIO()
    save_workbook(wb, buf)
    return buf.getvalue()
