"""Excel in and out, always through the core: templates by `write_template`, imports by `read_inputs`,
results workbooks by `write_results_workbook`. This module only adapts files to HTTP."""

from __future__ import annotations

import inspect
import tempfile
from pathlib import Path

from govassess.errors import UserError
from govassess.web.organisation.selectors import units_frame
from govassess.web.rounds.models import Round
from govassess.web.systems.selectors import system_core

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _call(func, *args, **kwargs):
    # Pass only the keyword arguments the core function declares.
    params = inspect.signature(func).parameters
    if not any(p.kind == p.VAR_KEYWORD for p in params.values()):
        kwargs = {k: v for k, v in kwargs.items() if k in params}
    return func(*args, **kwargs)


def template_bytes(*, round: Round, units, values=None) -> bytes:
    from govassess.data.template import write_template

    core = system_core(round.system)
    with tempfile.TemporaryDirectory(prefix="govassess-tpl-") as tmp:
        path = Path(tmp) / "template.xlsx"
        _call(write_template, core, units_frame(units), path, inputs=values, round_name=round.name)
        return path.read_bytes()


def read_upload(*, round: Round, units, upload):
    """Parse an uploaded XLSX/CSV with the core; a located UserError (sheet/row/column) comes out as is."""
    from govassess.data import read_inputs

    name = Path(upload.name or "upload.xlsx").name
    suffix = Path(name).suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise UserError(f"文件「{name}」不是 Excel（.xlsx）或 CSV 文件。", file=name)
    with tempfile.TemporaryDirectory(prefix="govassess-up-") as tmp:
        path = Path(tmp) / name
        with open(path, "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        return read_inputs(path, system_core(round.system), units_frame(units))


def results_workbook_bytes(*, results: dict, title: str = "") -> bytes:
    from govassess.reports.workbook import write_results_workbook

    with tempfile.TemporaryDirectory(prefix="govassess-res-") as tmp:
        path = Path(tmp) / "results.xlsx"
        out = _call(write_results_workbook, results, path, title=title)
        if isinstance(out, bytes | bytearray):
            return bytes(out)
        return path.read_bytes()
