"""Units and inputs files (CSV / XLSX): reading, parsing and validation, all-or-nothing.

Units file: ``unit, name, class`` then attribute columns.
Inputs file (long form): ``unit, indicator, input, value`` and optional ``note``.
Chinese headers (单位编码, 指标编码, 输入项, 填报值, 备注 …) are accepted as aliases, so the
data-entry template written by :func:`govassess.data.template.write_template` reads back unchanged.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from govassess.errors import Problem, ProblemCollector, UserError
from govassess.indicators.model import IndicatorSystem
from govassess.rules import BOOL, CHOICE, COUNT, MAX_MAGNITUDE, NUMBER, PERCENT, SCORE

UNIT_ALIASES = {"unit": "unit", "单位编码": "unit", "单位代码": "unit", "name": "name", "单位名称": "name",
                "class": "class", "类别": "class", "单位类别": "class"}
INPUT_ALIASES = {"unit": "unit", "单位编码": "unit", "单位代码": "unit", "indicator": "indicator", "指标编码": "indicator",
                 "input": "input", "输入项": "input", "输入": "input", "value": "value", "填报值": "value", "值": "value",
                 "note": "note", "备注": "note", "备注（理由）": "note", "理由": "note", "说明": "note"}
COLUMN_LABELS = {"unit": "unit（单位编码）", "name": "name（单位名称）", "class": "class（类别）",
                 "indicator": "indicator（指标编码）", "input": "input（输入项）", "value": "value（填报值）", "note": "note（备注）"}
TRUE_WORDS = {"是", "有", "true", "yes", "y", "√", "✓", "1"}
FALSE_WORDS = {"否", "无", "false", "no", "n", "×", "0"}
MAX_LISTED = 200


# --- reading tables ------------------------------------------------------------------------------

def _cell_text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float):
        if v != v:  # NaN
            return None
        return str(int(v)) if v.is_integer() else repr(v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    s = str(v).strip()
    return s or None


def read_table(path: str | Path, *, sheet: str | None = None, aliases: Mapping[str, str],
               required: Iterable[str], what: str) -> tuple[pl.DataFrame, str | None]:
    """Read a CSV or XLSX sheet as strings, headers mapped through ``aliases``; adds ``_row`` (1-based, header = 1).

    Returns the frame and the sheet name (None for CSV).
    """
    p = Path(path)
    file = str(path)
    if not p.exists():
        raise UserError("文件不存在", file=file)
    if not p.is_file():
        raise UserError(f"不是文件（应为{what}）", file=file)
    suffix = p.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
        header, rows, sheet_name, header_row = _read_xlsx(p, sheet, aliases, what)
    elif suffix in (".csv", ".txt"):
        header, rows = _read_csv(p)
        sheet_name, header_row = None, 1
    else:
        raise UserError(f"不支持的文件类型 {p.suffix}：{what}应为 CSV 或 XLSX", file=file)
    mapped = []
    for h in header:
        key = (h or "").strip()
        mapped.append(aliases.get(key, aliases.get(key.lower(), key)))
    missing = [c for c in required if c not in mapped]
    if missing:
        raise UserError(f"缺少列 {'、'.join(COLUMN_LABELS.get(m, m) for m in missing)}；{what}的表头应包含 "
                        f"{'、'.join(COLUMN_LABELS.get(r, r) for r in required)}", file=file, sheet=sheet_name, row=header_row)
    dup = sorted({m for m in mapped if m and mapped.count(m) > 1})
    if dup:
        raise UserError(f"表头列重复：{'、'.join(dup)}", file=file, sheet=sheet_name, row=header_row)
    keep = [i for i, m in enumerate(mapped) if m]
    data: dict[str, list[str | None]] = {mapped[i]: [] for i in keep}
    row_numbers: list[int] = []
    for offset, row in enumerate(rows, start=header_row + 1):
        cells = [_cell_text(row[i]) if i < len(row) else None for i in keep]
        if all(c is None for c in cells):
            continue
        for i, c in zip(keep, cells, strict=True):
            data[mapped[i]].append(c)
        row_numbers.append(offset)
    frame = pl.DataFrame({**data, "_row": row_numbers}, schema={**{k: pl.String for k in data}, "_row": pl.Int64})
    return frame, sheet_name


def _read_csv(p: Path) -> tuple[list[str], list[Any]]:
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("gb18030")  # CSV saved by Excel/WPS on Chinese Windows
        except UnicodeDecodeError:
            raise UserError("无法识别文件编码（应为 UTF-8 或 GBK）", file=str(p)) from None
    if not text.strip():
        raise UserError("文件为空", file=str(p))
    try:
        df = pl.read_csv(io.StringIO(text), infer_schema=False, truncate_ragged_lines=False)
    except Exception as e:  # polars raises several error types for malformed CSV
        raise UserError(f"CSV 格式错误：{str(e).splitlines()[0][:200]}", file=str(p)) from None
    return list(df.columns), df.rows()


def _read_xlsx(p: Path, sheet: str | None, aliases: Mapping[str, str], what: str) -> tuple[list[str], list[list[Any]], str, int]:
    from python_calamine import CalamineWorkbook

    from govassess.xlsx_guard import check_workbook

    check_workbook(p)
    try:
        wb = CalamineWorkbook.from_path(str(p))
    except Exception:  # calamine raises its own error types for broken files
        raise UserError("无法打开工作簿：文件已损坏或不是 Excel 文件", file=str(p)) from None
    names = wb.sheet_names
    if sheet and sheet not in names:
        raise UserError(f"找不到工作表「{sheet}」，工作簿中有：{'、'.join(names)}", file=str(p))
    # A hidden (or very hidden) sheet is never read silently: the visible sheets are searched first, and
    # a header found only on a hidden one is refused by name. A sheet named explicitly is read as asked.
    hidden = {m.name for m in wb.sheets_metadata if str(m.visible).split(".")[-1].lower() != "visible"}
    candidates = [sheet] if sheet else [n for n in names if n not in hidden]

    def header_of(name: str) -> tuple[list[str], list[list[Any]], str, int] | None:
        try:
            rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except Exception:  # calamine's XmlError and friends: damaged sheet XML
            raise UserError("工作表已损坏，无法读取（请在 Excel 或 WPS 中打开后另存）", file=str(p), sheet=name) from None
        # the header is the first of the first 10 rows holding a known column name
        for i, row in enumerate(rows[:10]):
            cells = [(_cell_text(c) or "") for c in row]
            if any(c in aliases or c.lower() in aliases for c in cells):
                return cells, rows[i + 1:], name, i + 1
        return None

    for name in candidates:
        found = header_of(name)
        if found:
            return found
    if not sheet:
        concealed = [n for n in names if n in hidden and header_of(n)]
        if concealed:
            raise UserError(f"{what}的表头只出现在隐藏的工作表「{'」「'.join(concealed)}」中；隐藏的工作表不会被读取，"
                            "请在 Excel 中取消隐藏（或把数据放到可见的工作表）后重试", file=str(p))
    raise UserError(f"工作簿中找不到{what}的表头（应包含 {'、'.join(sorted(set(aliases.values())))}）", file=str(p))


# --- units ---------------------------------------------------------------------------------------

KIND_NAMES = {NUMBER: "数字", PERCENT: "百分比", COUNT: "个数（整数）", SCORE: "分值", BOOL: "是/否"}


def _is_word(col: pl.Expr) -> pl.Expr:
    low = col.str.strip_chars().str.to_lowercase()
    return low.is_in(list((TRUE_WORDS | FALSE_WORDS) - {"1", "0"}))


def _pct(x: float) -> str:
    return f"{x * 100:.4f}".rstrip("0").rstrip(".") + "%"


def _range_message(r: Mapping[str, Any], kind: str, reason: str | None) -> str:
    """Why a value is outside its input's domain, in the unit the user wrote it in."""
    v, lo, hi, name = r["value"], r["_min"], r["_max"], r["input"]
    if kind == PERCENT:
        bounds = f"{_pct(lo if lo is not None else 0)} 到 {_pct(hi)}" if hi is not None else f"不小于 {_pct(lo or 0)}"
        why = f"（{reason}）" if reason else ""
        bare = not str(v).strip().endswith(("%", "％"))
        if bare and hi is not None and r["num"] > hi and 1 < r["num"] <= 100:
            # The one documented reading: a bare number is a fraction, so 85 would be 8500 %.
            return (f"「{v}」按小数读作 {_pct(r['num'])}，超出范围；百分比请填写 {_num(r['num'])}% 或 {_num(r['num'] / 100)}"
                    f"（输入项「{name}」应在 {bounds} 之间{why}）")
        return f"「{v}」超出范围；输入项「{name}」是百分比，应在 {bounds} 之间{why}"
    if hi is None:
        return f"「{v}」超出范围；输入项「{name}」不能小于 {_num(lo)}" + ("（个数不能为负）" if kind == COUNT else "")
    if lo is None:
        return f"「{v}」超出范围；输入项「{name}」不能大于 {_num(hi)}" + (f"（{reason}）" if reason else "")
    extra = "（人工评分不能超过本指标分值）" if kind == SCORE else (f"（{reason}）" if reason else "")
    return f"「{v}」超出范围；输入项「{name}」应在 {_num(lo if lo is not None else 0)} 到 {_num(hi)} 之间{extra}"


def _num(x: float) -> str:
    return f"{x:.6f}".rstrip("0").rstrip(".") if not float(x).is_integer() else str(int(x))


def _to_number(col: pl.Expr) -> pl.Expr:
    """Parse text to Float64: full-width digits, 97.5% → 0.975, 是/否 → 1/0; unparsable → null."""
    s = col.str.strip_chars().str.replace_many(list("０１２３４５６７８９．％－＋"), list("0123456789.%-+"))
    s = s.str.replace_all(",", "")
    low = s.str.to_lowercase()
    pct = s.str.ends_with("%")
    number = pl.when(pct).then(s.str.strip_suffix("%").cast(pl.Float64, strict=False) / 100).otherwise(
        s.cast(pl.Float64, strict=False))
    return (pl.when(low.is_in(list(TRUE_WORDS - {"1"}))).then(1.0)
            .when(low.is_in(list(FALSE_WORDS - {"0"}))).then(0.0)
            .otherwise(number))


def units_frame(df: pl.DataFrame, *, file: str | None = None, sheet: str | None = None) -> pl.DataFrame:
    """Validate a units frame (strings, with ``_row``) and type its attribute columns."""
    if "_row" not in df.columns:
        df = df.with_row_index("_row", offset=2).with_columns(pl.col("_row").cast(pl.Int64))
    problems = ProblemCollector()
    for col in ("unit", "name", "class"):
        if col not in df.columns:
            raise UserError(f"缺少列 {COLUMN_LABELS[col]}", file=file, sheet=sheet)
        for r in df.filter(pl.col(col).is_null())["_row"].to_list()[:MAX_LISTED]:
            problems.add(f"{COLUMN_LABELS[col]} 不能为空", file=file, sheet=sheet, row=r, column=col)
    dups = df.filter(pl.col("unit").is_not_null() & pl.col("unit").is_duplicated())
    for unit, rows in dups.group_by("unit", maintain_order=True).agg("_row").rows():
        problems.add(f"单位编码「{unit}」重复出现（第 {'、'.join(map(str, rows))} 行）", file=file, sheet=sheet,
                     row=rows[1], column="unit")
    problems.raise_if_any()
    attrs = [c for c in df.columns if c not in ("unit", "name", "class", "_row")]
    typed = []
    for c in attrs:
        parsed = _to_number(pl.col(c))
        ok = df.select((pl.col(c).is_null() | parsed.is_not_null()).all()).item()
        typed.append(parsed.alias(c) if ok else pl.col(c))
    return df.with_columns(typed) if typed else df


def read_units(path: str | Path, *, sheet: str | None = None) -> pl.DataFrame:
    """Read a units file: columns unit, name, class, then attributes (numbers and 是/否 become numbers)."""
    df, sheet_name = read_table(path, sheet=sheet, aliases=UNIT_ALIASES, required=("unit", "name", "class"), what="单位文件")
    if df.height == 0:
        raise UserError("单位文件没有任何单位", file=str(path), sheet=sheet_name)
    return units_frame(df, file=str(path), sheet=sheet_name)


def units_from_rows(rows: Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    """Units from plain dicts (web platform, tests)."""
    rows = list(rows)
    keys: list[str] = []
    for r in rows:
        keys += [k for k in r if k not in keys]
    data = {k: [_cell_text(r.get(k)) for r in rows] for k in keys}
    df = pl.DataFrame(data, schema={k: pl.String for k in keys})
    return units_frame(df.with_row_index("_row", offset=1).with_columns(pl.col("_row").cast(pl.Int64)))


# --- inputs --------------------------------------------------------------------------------------

def spec_frame(system: IndicatorSystem) -> pl.DataFrame:
    specs = system.inputs()
    index = {(s.indicator, s.input): i for i, s in enumerate(specs)}
    return pl.DataFrame(
        {
            "indicator": [s.indicator for s in specs],
            "input": [s.input for s in specs],
            "_kind": [s.kind for s in specs],
            "_choices": [list(s.choices) if s.choices else None for s in specs],
            "_min": [s.min for s in specs],
            "_max": [s.max for s in specs],
            "_needs_note": [s.needs_note for s in specs],
            "_reason": [s.reason for s in specs],
            "_veto": [s.veto for s in specs],
            "_not_above_sid": [index.get((s.indicator, s.not_above)) if s.not_above else None for s in specs],
        },
        schema={"indicator": pl.String, "input": pl.String, "_kind": pl.String, "_choices": pl.List(pl.String),
                "_min": pl.Float64, "_max": pl.Float64, "_needs_note": pl.Boolean, "_reason": pl.String, "_veto": pl.Boolean,
                "_not_above_sid": pl.UInt32},
    )


def prepare_inputs(system: IndicatorSystem, units: pl.DataFrame, df: pl.DataFrame, *, file: str | None = None,
                   sheet: str | None = None) -> pl.DataFrame:
    """Validate long-form inputs against the system and units; returns unit, indicator, input, value, note, num.

    Every problem is collected and raised together (nothing is half-accepted). Empty values mean "not filled".
    Built for millions of rows: two hash joins, integer keys for duplicates, and the slow text
    normalisation (是/否, full-width digits, %) only on the rows a plain number cast cannot read.
    """
    if "_row" not in df.columns:
        df = df.with_row_index("_row", offset=2).with_columns(pl.col("_row").cast(pl.Int64))
    for col in ("unit", "indicator", "input", "value"):
        if col not in df.columns:
            raise UserError(f"缺少列 {COLUMN_LABELS[col]}", file=file, sheet=sheet)
    if "note" not in df.columns:
        df = df.with_columns(pl.lit(None, dtype=pl.String).alias("note"))
    keys = ("unit", "indicator", "input")
    # Large inputs: every full-frame filter copies all string views, so filter only when something must go.
    df = df.select([pl.col(c).cast(pl.String) for c in (*keys, "value", "note")] + ["_row"])
    filled = pl.col("value").is_not_null() & (pl.col("value") != "")
    if not df.select(filled.all()).item():
        df = df.filter(filled)
    where: dict[str, Any] = {"file": file, "sheet": sheet}
    problems: list[Problem] = []

    def report(frame: pl.DataFrame, column: str, message: Any) -> None:
        for row in frame.head(MAX_LISTED).iter_rows(named=True):
            problems.append(Problem(message(row), row=row["_row"], column=column, indicator=row.get("indicator"), **where))
        if frame.height > MAX_LISTED:
            problems.append(Problem(f"……同类问题另有 {frame.height - MAX_LISTED} 处", column=column, **where))

    specs = spec_frame(system).with_row_index("_sid")
    unit_ids = units.select("unit").with_row_index("_uidx")
    spec_ids = specs.select("indicator", "input", "_sid")

    def join_ids(frame: pl.DataFrame) -> pl.DataFrame:
        # Join narrow key frames and attach only the integer ids: a join copies every string view it
        # carries (16 bytes a row), and per-spec facts are then looked up by id.
        uidx = frame.select("unit").join(unit_ids, on="unit", how="left", maintain_order="left")["_uidx"]
        sid = frame.select("indicator", "input").join(spec_ids, on=["indicator", "input"], how="left",
                                                      maintain_order="left")["_sid"]
        return frame.with_columns(uidx, sid)

    df = join_ids(df)
    failed = pl.col("_uidx").is_null() | pl.col("_sid").is_null()
    if df.select(failed.any()).item():
        # Stray spaces are common in hand-filled sheets: strip and retry only the rows that did not match.
        retry = df.filter(failed).drop("_uidx", "_sid").with_columns(
            [pl.col(c).str.strip_chars().replace("", None) for c in keys])
        df = pl.concat([df.filter(~failed), join_ids(retry)], how="vertical_relaxed").sort("_row")
    if df.select(pl.any_horizontal(pl.col(c).is_null() for c in keys).any()).item():
        for col in keys:
            report(df.filter(pl.col(col).is_null()), col, lambda r, c=col: f"{COLUMN_LABELS[c]} 不能为空")
        df = df.drop_nulls(list(keys))
    if df["note"].null_count() < df.height:
        df = df.with_columns(pl.col("note").str.strip_chars().replace("", None))
    note_sids = [i for i, v in enumerate(specs["_needs_note"].to_list()) if v]
    kinds = specs["_kind"].to_list()
    choices_by_sid = {i: c for i, c in enumerate(specs["_choices"].to_list()) if c}

    def sids(kind: str) -> pl.Expr:
        return pl.col("_sid").is_in([i for i, k in enumerate(kinds) if k == kind])

    def per_sid(column: str) -> pl.Expr:
        mapping = {i: v for i, v in enumerate(specs[column].to_list()) if v is not None}
        return pl.col("_sid").replace_strict(mapping, default=None, return_dtype=pl.Float64)

    report(df.filter(pl.col("_uidx").is_null()), "unit", lambda r: f"未知单位「{r['unit']}」（不在单位文件中）")
    codes = set(specs["indicator"].to_list())
    by_code: dict[str, list[str]] = {}
    for code, name in specs.select("indicator", "input").iter_rows():
        by_code.setdefault(code, []).append(name)
    unknown = df.filter(pl.col("_sid").is_null())
    report(unknown.filter(~pl.col("indicator").is_in(list(codes))), "indicator",
           lambda r: f"指标编码「{r['indicator']}」不在体系 {system.id} 中")
    report(unknown.filter(pl.col("indicator").is_in(list(codes))), "input",
           lambda r: f"指标 {r['indicator']} 没有输入项「{r['input']}」，应为：{'、'.join(by_code[r['indicator']])}")
    if df["_sid"].null_count() or df["_uidx"].null_count():
        df = df.filter(pl.col("_sid").is_not_null() & pl.col("_uidx").is_not_null())
    # Duplicates: count (spec, unit) pairs with bincount; only build the located report when there are any.
    pair = df["_sid"].to_numpy().astype(np.int64) * (units.height + 1) + df["_uidx"].to_numpy().astype(np.int64)
    if pair.size and np.bincount(pair).max() > 1:
        dup = df.filter(pl.Series(pair).is_duplicated())
        first_rows = dup.group_by(*keys).agg(pl.col("_row").min().alias("_first"))
        report(dup.join(first_rows, on=list(keys)).filter(pl.col("_row") != pl.col("_first")), "value",
               lambda r: f"重复数据：单位 {r['unit']} 指标 {r['indicator']} 输入项「{r['input']}」已在第 {r['_first']} 行出现")
    spaced_choice = sids(CHOICE) & (pl.col("value").str.strip_chars() != pl.col("value"))
    if CHOICE in kinds and df.select(spaced_choice.any()).item():
        df = df.with_columns(pl.when(sids(CHOICE)).then(pl.col("value").str.strip_chars()).otherwise(pl.col("value")))

    is_choice = sids(CHOICE)
    df = df.with_columns(pl.when(is_choice).then(None).otherwise(pl.col("value").cast(pl.Float64, strict=False)).alias("num"))
    bad_float = pl.col("num").is_nan() | pl.col("num").is_infinite()
    if df.select(bad_float.any()).item():
        df = df.with_columns(pl.when(bad_float).then(None).otherwise(pl.col("num")).alias("num"))
    slow_cols = (pl.int_range(pl.len()).alias("_i"), "value", "_row", "input", "indicator", "_sid", is_choice.alias("_c"), "num")
    slow = df.select(*slow_cols).filter(~pl.col("_c") & pl.col("num").is_null())
    blank = slow.filter(pl.col("value").str.strip_chars() == "")
    if blank.height:  # whitespace only: not filled
        df = df.filter(~pl.col("_row").is_in(blank["_row"].implode()))
        slow = df.select(*slow_cols).filter(~pl.col("_c") & pl.col("num").is_null())
    word_rows: list[int] = []
    if slow.height:  # 是/否, 97.5%, full-width digits: normalise only these rows
        # 是/否 are answers to yes/no questions only: in a numeric input they would silently become 1 or 0.
        yes_no = sids(BOOL) | pl.col("_sid").is_in([i for i, v in enumerate(specs["_veto"].to_list()) if v])
        words = slow.filter(_is_word(pl.col("value")) & ~yes_no)
        report(words, "value", lambda r: f"「{r['value']}」是文字；输入项「{r['input']}」应填数字"
               f"（{KIND_NAMES.get(kinds[r['_sid']], '数字')}），只有 是/否 类输入项可填 是/否")
        word_rows = words["_row"].to_list()
        fixed = slow.select("_i", pl.when(pl.col("_row").is_in(word_rows)).then(None)
                            .otherwise(_to_number(pl.col("value"))).alias("num"))
        num = df["num"].to_numpy(writable=True).astype("float64", copy=True)
        num[fixed["_i"].to_numpy()] = fixed["num"].fill_null(float("nan")).to_numpy()
        df = df.with_columns(pl.Series("num", num, nan_to_null=True))
        df = df.with_columns(pl.when(bad_float).then(None).otherwise(pl.col("num")).alias("num"))
    report(df.filter(~is_choice & pl.col("num").is_null() & ~pl.col("_row").is_in(word_rows)), "value",
           lambda r: f"「{r['value']}」不是有限的数字；输入项「{r['input']}」应填数字（百分数可写 97.5% 或 0.975）")
    report(df.filter(sids(BOOL) & pl.col("num").is_not_null() & ~pl.col("num").is_in([0.0, 1.0])), "value",
           lambda r: f"「{r['value']}」无效；输入项「{r['input']}」应填 是/否 或 1/0")
    for sid, allowed in choices_by_sid.items():
        report(df.filter((pl.col("_sid") == sid) & ~pl.col("value").is_in(allowed)), "value",
               lambda r, a=allowed: f"「{r['value']}」不是允许的选项；输入项「{r['input']}」应为：{'、'.join(a)}")
    numeric = ~is_choice & pl.col("num").is_not_null()
    huge = numeric & (pl.col("num").abs() > MAX_MAGNITUDE)
    report(df.filter(huge), "value",
           lambda r: f"「{r['value']}」超出可计算的范围（绝对值不超过 10^15）；输入项「{r['input']}」")
    lo, hi = per_sid("_min"), per_sid("_max")
    # Out of the input's domain is an error, never a clamp (see govassess.rules.with_domain).
    outside = numeric & ~huge & ((lo.is_not_null() & (pl.col("num") < lo - 1e-12)) | (hi.is_not_null() & (pl.col("num") > hi + 1e-9)))
    reasons = specs["_reason"].to_list()
    report(df.filter(outside & ~sids(BOOL)).with_columns(lo.alias("_min"), hi.alias("_max")), "value",
           lambda r: _range_message(r, kinds[r["_sid"]], reasons[r["_sid"]]))
    partners = {i: j for i, j in enumerate(specs["_not_above_sid"].to_list()) if j is not None}
    if partners:  # numerator ≤ denominator, per unit: look the partner's value up by (unit, spec) ids
        mine = df.filter(pl.col("_sid").is_in(list(partners)) & numeric).with_columns(
            pl.col("_sid").replace_strict(partners, return_dtype=pl.UInt32).alias("_psid"))
        theirs = df.filter(numeric).select("_uidx", pl.col("_sid").alias("_psid"), pl.col("num").alias("_pnum"),
                                           pl.col("input").alias("_pinput"), pl.col("value").alias("_pvalue"))
        above = mine.join(theirs, on=["_uidx", "_psid"], how="inner").filter(pl.col("num") > pl.col("_pnum") + 1e-9)
        report(above.sort("_row"), "value",
               lambda r: f"「{r['value']}」大于「{r['_pinput']}」的 {r['_pvalue']}；比率的分子不能超过分母"
               f"（单位 {r['unit']}；确需超过的，请在指标体系中为该规则写 allow_above: true）")
    report(df.filter(sids(COUNT) & numeric & (pl.col("num") != pl.col("num").round(0))), "value",
           lambda r: f"「{r['value']}」应为整数（个数或名次）")
    report(df.filter(pl.col("_sid").is_in(note_sids) & pl.col("note").is_null()), "note",
           lambda r: f"人工评分必须在 note（备注）中写明理由（指标 {r['indicator']}）")
    if problems:
        raise UserError(problems=problems)
    # _sid (position in system.inputs()) saves the scoring engine a second string join
    return df.select("unit", "indicator", "input", "value", "note", "num", pl.col("_sid").cast(pl.Int64))


def read_inputs(path: str | Path, system: IndicatorSystem, units: pl.DataFrame, *, sheet: str | None = None) -> pl.DataFrame:
    """Read and validate a long-form inputs file (CSV/XLSX) against a system and its units."""
    df, sheet_name = read_table(path, sheet=sheet, aliases=INPUT_ALIASES, required=("unit", "indicator", "input", "value"),
                                what="输入数据文件")
    return prepare_inputs(system, units, _names_from_labels(system, df), file=str(path), sheet=sheet_name)


def _names_from_labels(system: IndicatorSystem, df: pl.DataFrame) -> pl.DataFrame:
    """The template shows an input's Chinese label (评分) in 输入项; read it back as the identifier (score)."""
    pairs = {(s.indicator, s.label): s.input for s in system.inputs() if s.label and s.label != s.input}
    taken = {(s.indicator, s.input) for s in system.inputs()}
    pairs = {k: v for k, v in pairs.items() if k not in taken}  # a real input of that name wins
    if not pairs:
        return df
    key = pl.concat_str([pl.col("indicator").str.strip_chars(), pl.col("input").str.strip_chars()], separator="\x1f")
    mapping = {f"{c}\x1f{label}": name for (c, label), name in pairs.items()}
    return df.with_columns(key.replace_strict(mapping, default=pl.col("input"), return_dtype=pl.String).alias("input"))


def inputs_from_rows(system: IndicatorSystem, units: pl.DataFrame, rows: Iterable[Mapping[str, Any]], *,
                     source: str | None = None) -> pl.DataFrame:
    """Inputs from plain dicts {unit, indicator, input, value, note} (web forms, API); ``row`` numbers are 1-based."""
    rows = list(rows)
    cols = ("unit", "indicator", "input", "value", "note")
    df = pl.DataFrame({c: [_cell_text(r.get(c)) for r in rows] for c in cols}, schema={c: pl.String for c in cols})
    df = df.with_row_index("_row", offset=1).with_columns(pl.col("_row").cast(pl.Int64))
    return prepare_inputs(system, units, df, file=source)


def empty_inputs() -> pl.DataFrame:
    return pl.DataFrame(schema={"unit": pl.String, "indicator": pl.String, "input": pl.String, "value": pl.String,
                                "note": pl.String, "num": pl.Float64, "_sid": pl.Int64})
