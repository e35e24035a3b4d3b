"""Find record files in a folder, register them on an engine as typed views and validate them.

For each record set ``s`` found, the engine gets:
- ``s__src``    the file(s) as read (with ``_file`` and ``_row``);
- ``s__flagged`` typed columns plus ``_bits`` (bit i set = the record breaks rule i) and ``_bad``;
- ``s``         the valid records only (what metrics read).
Rule counts are computed by the caller in the same scan as the metrics (see ``compute``), so a large
file is read once; ``examples`` fetches the first offending rows only for rules that fired.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from govassess.errors import Problem, UserError

from .engines import refuse_repeated_names, sql_str
from .schemas import GENERIC_MESSAGES, RECORD_SETS, Column, RecordSet

SUFFIXES = (".parquet", ".csv", ".xlsx")
# Record sets other sets refer to (REFERRED) are loaded (and cleaned) first.
ORDER = (
    "units", "items", "systems", "cases", "ratings", "tickets", "info_reports", "downtime", "usage", "visits",
)
REFERRED = ("units", "items", "systems")


@dataclass
class Rule:
    id: str  # e.g. "bad_timestamp:accepted_at"
    kind: str
    column: str | None
    message: str
    sql: str  # true for a bad record, over the typed (and __raw) columns
    show: tuple[str, ...]  # columns shown in examples


@dataclass
class RuleResult:
    record_set: str
    files: str
    rule: str
    message: str
    count: int
    examples: list[tuple[str | None, int | None, str]] = field(default_factory=list)  # (file, row, values)

    def problem(self) -> Problem:
        first = self.examples[0] if self.examples else (None, None, "")
        rows = "、".join(f"第 {r} 行" if r is not None else "（无行号）" for _, r, _ in self.examples)
        values = "；".join(v for _, _, v in self.examples)
        return Problem(
            f"{self.message}：共 {self.count} 条记录（例如 {rows}：{values}）",
            file=first[0] or self.files,
            row=first[1],
        )


@dataclass
class LoadedSet:
    schema: RecordSet
    files: list[Path]
    rules: list[Rule]
    has_unit: bool
    unit_rule: int | None = None  # index of the unknown_unit rule, checked after aggregation in `__scan`
    # DuckDB, `register(item_check_in_scan=True)`: the ENUM type of the catalogue's item codes and their
    # number. Records whose code is in no unit's catalogue are flagged per record; whether a unit used a
    # code outside its own catalogue is left to the metric scan (`item_scan_sql`), which must call
    # `exact_items()` and scan again when one did.
    item_codes: tuple[str, int] | None = None
    exact_items: Callable[[], None] | None = None


@dataclass
class Store:
    """Record sets registered on an engine."""

    engine: object
    sets: dict[str, LoadedSet]
    notices: list[str]
    check_duplicates: bool = True
    item_check_in_scan: bool = False

    def has(self, name: str) -> bool:
        return name in self.sets


def find_files(records_dir: Path) -> dict[str, list[Path]]:
    """Record set name -> files. A set is `NAME.ext`, a Chinese alias (`办件.csv`) or a folder `NAME/` of
    files of one type (e.g. monthly Parquet files)."""
    if not records_dir.is_dir():
        raise UserError(f"记录目录不存在：{records_dir}")
    stems: dict[str, str] = {}
    for rs in RECORD_SETS.values():
        for stem in (rs.name, *rs.aliases):
            stems[stem] = rs.name
    found: dict[str, list[Path]] = {}
    for entry in sorted(records_dir.iterdir()):
        if entry.name.startswith((".", "~$")):
            continue
        if entry.is_dir() and entry.name in stems:
            files = sorted(
                p for p in entry.iterdir() if p.suffix.lower() in SUFFIXES and not p.name.startswith(".")
            )
            if not files:
                continue
            if len({p.suffix.lower() for p in files}) > 1:
                raise UserError(
                    "同一文件夹中的记录文件类型应一致（全部 CSV、Parquet 或 XLSX）", file=entry.name
                )
            name = stems[entry.name]
        elif entry.is_file() and entry.suffix.lower() in SUFFIXES and entry.stem in stems:
            files = [entry]
            name = stems[entry.stem]
        else:
            continue
        if name in found:
            raise UserError(
                f"记录集「{RECORD_SETS[name].label}」有多个来源：{found[name][0].name} 与 {entry.name}"
            )
        found[name] = files
    return found


TIMEZONE_ENV = "GOVASSESS_TIMEZONE"
DEFAULT_TIMEZONE = "Asia/Shanghai"
# A time of day followed by an offset: 09:30-05:00, 09:30:00+0800, 09:30:00.5Z.
_OFFSET_PATTERN = r"[0-9]:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?\s*(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)$"


def office_timezone() -> str:
    """The office's time zone (``GOVASSESS_TIMEZONE``, default Asia/Shanghai): periods are cut in it."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = os.environ.get(TIMEZONE_ENV, "").strip() or DEFAULT_TIMEZONE
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(f"时区「{name}」无效（环境变量 {TIMEZONE_ENV} 或 --timezone），应为如 Asia/Shanghai 的 IANA 时区名") from None
    return name


def _local_timestamp(text: str) -> str:
    """Text → TIMESTAMP in the office's time zone. A timestamp with an offset (2021-06-30 20:00-05:00) is an
    instant and is converted (→ 2021-07-01 09:00 in Shanghai, the second half-year); a naive one is local time
    already. Written in DuckDB SQL; sqlglot turns AT TIME ZONE into Spark's from_utc_timestamp (session UTC)."""
    zone = sql_str(office_timezone())
    return (f"CASE WHEN REGEXP_MATCHES({text}, '{_OFFSET_PATTERN}') "
            f"THEN TRY_CAST({text} AS TIMESTAMPTZ) AT TIME ZONE {zone} "
            f"ELSE TRY_CAST({text} AS TIMESTAMP) END")


def _typed_expr(col: Column, src: str, kind: str | None, *, trim: bool = True) -> tuple[str, str | None]:
    """(typed SQL expression, bad-value SQL or None) for column `col` read from source column `src` whose
    engine kind is `kind` (None = missing from the file)."""
    q = f'"{src}"'
    target = {
        "str": "VARCHAR",
        "int": "BIGINT",
        "float": "DOUBLE",
        "bool": "BOOLEAN",
        "timestamp": "TIMESTAMP",
        "date": "DATE",
        "time": "BIGINT",
    }[col.type]
    if kind is None:
        return f"CAST(NULL AS {target})", None
    if col.type == "str":
        if kind == "str":
            # Text typed in CSV / Excel gets stray spaces; Parquet text is written by programs (and trimming
            # every identifier of 100 M rows is measurable), so it is only checked for emptiness.
            return (f"NULLIF(TRIM({q}), '')" if trim else f"NULLIF({q}, '')"), None
        return f"CAST({q} AS VARCHAR)", None
    same = {
        "int": ("int",),
        "float": ("int", "float"),
        "bool": ("bool",),
        "timestamp": ("timestamp", "date"),
        "date": ("date", "timestamp"),
    }.get(col.type, ())
    if kind in same:
        return f"CAST({q} AS {target})", None
    text = f"TRIM(CAST({q} AS VARCHAR))"
    if col.type == "int":
        typed = f"TRY_CAST({text} AS BIGINT)"
    elif col.type == "float":
        typed = f"TRY_CAST(REPLACE({text}, '%', '') AS DOUBLE) / CASE WHEN {text} LIKE '%\\%' ESCAPE '\\' THEN 100 ELSE 1 END"
    elif col.type == "bool":
        typed = (
            f"CASE WHEN LOWER({text}) IN ('1', '是', 'true', 't', 'y', 'yes') THEN TRUE "
            f"WHEN LOWER({text}) IN ('0', '否', 'false', 'f', 'n', 'no') THEN FALSE END"
        )
    elif col.type == "timestamp":
        typed = _local_timestamp(f"REPLACE({text}, '/', '-')")
    elif col.type == "date":
        local = _local_timestamp(f"REPLACE({text}, '/', '-')")
        typed = f"TRY_CAST({local} AS DATE)"
    else:  # time of day as minutes since midnight
        typed = (
            f"CASE WHEN REGEXP_MATCHES({text}, '^[0-9]{{1,2}}:[0-9]{{2}}$') THEN "
            f"CAST(SPLIT_PART({text}, ':', 1) AS BIGINT) * 60 + CAST(SPLIT_PART({text}, ':', 2) AS BIGINT) END"
        )
        typed = f"CASE WHEN ({typed}) <= 1440 THEN ({typed}) END"
    bad = f"{q} IS NOT NULL AND {text} <> '' AND ({typed}) IS NULL"
    return typed, bad


def _check_header(path: Path) -> None:
    """A CSV header naming one column twice is refused (XLSX headers are checked where they are read, in
    engines.read_xlsx_rows): DuckDB would rename the second (x_1) and Spark keep both."""
    if path.suffix.lower() != ".csv":
        return
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh), [])
    except (OSError, UnicodeDecodeError, csv.Error):  # the engine reports it with its own message
        return
    refuse_repeated_names(header, path.name)


def _source_columns(rs: RecordSet, kinds: dict[str, str], files: list[Path]) -> dict[str, str]:
    """Schema column -> source column, accepting the English name or the Chinese label (not both)."""
    mapping: dict[str, str] = {}
    for col in rs.columns:
        if col.name in kinds and col.label in kinds and col.name != col.label:
            raise UserError(
                f"列“{col.name}”和“{col.label}”是同一列，请只保留一列",
                file=files[0].name,
                row=1,
            )
        for cand in (col.name, col.label):
            if cand in kinds:
                mapping[col.name] = cand
                break
    missing = [c for c in rs.columns if c.required and c.name not in mapping]
    if missing:
        need = "、".join(f"{c.name}（{c.label}）" for c in missing)
        raise UserError(f"缺少必需的列：{need}", file=files[0].name)
    return mapping


def register(  # noqa: ANN001
    engine,
    records_dir: Path,
    *,
    units_file: Path | None = None,
    check_duplicates: bool = True,
    item_check_in_scan: bool = False,
) -> Store:
    """Register every record file found in `records_dir` (and the units file) on `engine`.

    `check_duplicates=False` skips the duplicate-key check (every key is read and hashed: the most expensive
    check on very large files); the store then carries a notice saying so.

    `item_check_in_scan=True` (only `compute`, which honours `LoadedSet.item_codes`): on DuckDB, whether
    each unit's records use only its own catalogue's item codes is decided by the metric scan instead of a
    separate scan of the (unit, item code) pairs."""
    found = find_files(records_dir)
    if units_file is not None:
        if not units_file.is_file():
            raise UserError(f"评估对象文件不存在：{units_file}")
        if units_file.suffix.lower() not in SUFFIXES:
            raise UserError("评估对象文件应为 CSV、XLSX 或 Parquet", file=units_file.name)
        found["units"] = [units_file]
    if not found or set(found) == {"units"}:
        raise UserError(
            f"目录 {records_dir} 中没有可识别的记录文件（如 cases.csv、办件.xlsx，见 docs/records.md）"
        )
    store = Store(
        engine=engine,
        sets={},
        notices=[],
        check_duplicates=check_duplicates,
        item_check_in_scan=item_check_in_scan and getattr(engine, "name", None) == "duckdb",
    )
    if not check_duplicates:
        store.notices.append("按要求未检查编号重复（--skip-duplicate-check），重复记录会被重复计入")
    if "units" not in found:
        store.notices.append("未提供评估对象名单（units 文件或 --units），未检查记录中的单位是否在名单中")
    # A set's registration pauses while its key hashes are sorted in a thread (see key_stats): the next set
    # is read meanwhile, and the paused ones finish at the end, except those later sets refer to.
    paused: list[Iterator[None]] = []
    for name in ORDER:
        if name in found:
            steps = _register_set(store, RECORD_SETS[name], found[name])
            for _ in steps:
                if name in REFERRED:
                    continue
                paused.append(steps)
                break
    for steps in paused:
        for _ in steps:
            pass
    store.sets = {name: store.sets[name] for name in ORDER if name in store.sets}  # results in ORDER
    if "cases" in store.sets and "items" not in store.sets:
        store.notices.append("未提供事项目录（items），未检查办件的事项编码")
    return store


def _register_set(store: Store, rs: RecordSet, files: list[Path]) -> Iterator[None]:
    """Register one record set; a generator that pauses once, while its key hashes are sorted."""
    engine = store.engine
    for f in files:
        _check_header(f)
    kinds = engine.register_files(f"{rs.name}__src", files)
    parquet = files[0].suffix.lower() == ".parquet"
    mapping = _source_columns(rs, kinds, files)
    selects = ["_file", "_row"]
    rules: list[Rule] = []
    # Rules a Parquet file's statistics may prove never broken: (rule, source column, test); a test is
    # "no_null", "filled" (no NULL, no empty text) or the allowed minimum.
    provable: list[tuple[Rule, str, str | float]] = []
    # Parquet text columns typed as NULLIF(x, ''): source column -> (select index, column name).
    plain_text: dict[str, tuple[int, str]] = {}
    for col in rs.columns:
        src = mapping.get(col.name)
        typed, bad = _typed_expr(col, src or col.name, kinds.get(src) if src else None, trim=not parquet)
        if src is not None and col.type == "str" and kinds.get(src) == "str" and parquet:
            plain_text[src] = (len(selects), col.name)
        selects.append(f"{typed} AS {col.name}")
        if bad is not None:
            selects.append(f'CAST("{src}" AS VARCHAR) AS {col.name}__raw')
        label = col.label
        if col.required and src is not None:
            empty = (
                f"({col.name}__raw IS NULL OR TRIM({col.name}__raw) = '')" if bad else f"{col.name} IS NULL"
            )
            rules.append(
                Rule(
                    f"missing:{col.name}",
                    "missing",
                    col.name,
                    GENERIC_MESSAGES["missing"].format(col=label),
                    empty,
                    (col.name,),
                )
            )
            if not bad:  # typed as read: NULL only where the source is NULL, or for text also empty
                provable.append((rules[-1], src, "filled" if kinds.get(src) == "str" else "no_null"))
        if bad is not None:
            kind = f"bad_{col.type}"
            raw = f"{col.name}__raw"
            rules.append(
                Rule(
                    f"{kind}:{col.name}",
                    kind,
                    col.name,
                    GENERIC_MESSAGES[kind].format(col=label),
                    f"{raw} IS NOT NULL AND TRIM({raw}) <> '' AND {col.name} IS NULL",
                    (raw,),
                )
            )
        if col.choices and src is not None:
            allowed = ", ".join("'" + c + "'" for c in col.choices)
            if getattr(engine, "name", None) == "duckdb":
                # A cast to an ENUM of the allowed values is an exact lookup that DuckDB evaluates once per
                # dictionary entry of a Parquet column, not per record (measured 6x cheaper than NOT IN).
                bad_choice = f"{col.name} IS NOT NULL AND TRY_CAST({col.name} AS ENUM({allowed})) IS NULL"
            else:
                bad_choice = f"{col.name} NOT IN ({allowed})"
            rules.append(
                Rule(
                    f"bad_choice:{col.name}",
                    "bad_choice",
                    col.name,
                    GENERIC_MESSAGES["bad_choice"].format(col=label, choices="/".join(col.choices)),
                    bad_choice,
                    (col.name,),
                )
            )
        if col.min is not None and src is not None:
            rules.append(
                Rule(
                    f"below_min:{col.name}",
                    "below_min",
                    col.name,
                    GENERIC_MESSAGES["below_min"].format(col=label, min=_num(col.min)),
                    f"{col.name} < {_num(col.min)}",
                    (col.name,),
                )
            )
            if not bad and kinds.get(src) in ("int", "float"):
                provable.append((rules[-1], src, float(col.min)))
    for check in rs.checks:
        if all(c in mapping for c in check.columns):
            rules.append(Rule(f"{check.code}", check.code, None, check.message, check.sql, check.columns))
    if parquet and getattr(engine, "name", None) == "duckdb":
        for src in _prove_by_statistics(engine, files, f"{rs.name}__src", provable, list(plain_text)):
            if src in plain_text:
                # Proven never empty (NULLIF(x, '') is x): read as is, so DuckDB keeps the column
                # dictionary-encoded and tests each distinct value once (choices, IN lists).
                i, name = plain_text[src]
                selects[i] = f"{_quote(src)} AS {name}"

    typed_view = f"{rs.name}__typed"
    engine.execute(
        f"CREATE OR REPLACE TEMP VIEW {typed_view} AS SELECT {', '.join(selects)} FROM {rs.name}__src"
    )

    joins: list[str] = []
    extra: list[str] = []
    if rs.key and store.check_duplicates:
        keys = ", ".join(rs.key)
        not_null = " AND ".join(f"{k} IS NOT NULL" for k in rs.key)
        key_expr = (
            rs.key[0]
            if len(rs.key) == 1
            else "CONCAT_WS(CHR(31), " + ", ".join(f"CAST({k} AS VARCHAR)" for k in rs.key) + ")"
        )
        missing_key: int | None = None
        repeated: str | None = None
        if hasattr(engine, "key_stats"):
            stats = engine.key_stats(typed_view, rs.key, f"{rs.name}__repeated_key_hashes", background=True)
            missing_key = stats.records - stats.filled
            yield  # register() reads the next record set while the key hashes are sorted
            stats.settle()
            maybe_dup, repeated = stats.maybe_repeated, stats.repeated_hashes
        elif len(rs.key) == 1:
            # The same scan counts empty keys, so that when there are none the metric scan need not read
            # the (wide, never dictionary-encoded) key column at all.
            _, found = engine.fetch(
                f"SELECT COUNT({keys}) - COUNT(DISTINCT {keys}), COUNT(*) - COUNT({keys}) FROM {typed_view}"
            )
            maybe_dup = int(found[0][0] or 0) > 0
            missing_key = int(found[0][1] or 0)
        else:
            _, found = engine.fetch(
                f"SELECT COUNT(*) - COUNT(DISTINCT {key_expr}) FROM {typed_view} WHERE {not_null}"
            )
            maybe_dup = int(found[0][0] or 0) > 0
        if len(rs.key) != 1:
            missing_key = None
        if missing_key == 0:
            for rule in rules:
                if rule.id == f"missing:{rs.key[0]}" and rule.sql == f"{rs.key[0]} IS NULL":
                    rule.sql = "FALSE"
        dup_sql = "FALSE"
        if maybe_dup:
            dup_table = f"{rs.name}__dups"
            if repeated:
                # Only keys whose hash was seen twice can be repeated: just those records are grouped, and the
                # repeated ones are then marked by position (file, row), a cheaper join for every record than
                # one on the text key (measured: 1.0 s instead of 1.7 s per 80 M records).
                engine.execute(
                    f"CREATE OR REPLACE TEMP TABLE {dup_table} AS SELECT _file, _row, TRUE AS _dup FROM "
                    f"(SELECT _file, _row, {keys} FROM {typed_view} WHERE {not_null} "
                    f"AND hash({keys}) IN (SELECT h FROM {repeated})) c QUALIFY COUNT(*) OVER (PARTITION BY {keys}) > 1"
                )
                on = "t._row = d._row AND t._file = d._file"
            else:
                engine.execute(
                    f"CREATE OR REPLACE TEMP TABLE {dup_table} AS SELECT {keys}, TRUE AS _dup FROM {typed_view} "
                    f"WHERE {not_null} GROUP BY {keys} HAVING COUNT(*) > 1"
                )
                on = " AND ".join(f"t.{k} = d.{k}" for k in rs.key)
            joins.append(f"LEFT JOIN {dup_table} d ON {on}")
            extra.append("d._dup AS _dup")
            dup_sql = "_dup"
        label = "、".join(rs.column(k).label for k in rs.key)
        rules.append(
            Rule(
                "duplicate",
                "duplicate",
                None,
                GENERIC_MESSAGES["duplicate"].format(col=label),
                dup_sql,
                rs.key,
            )
        )
    if rs.unit_column and "units" in store.sets and rs.name != "units":
        joins.append("LEFT JOIN (SELECT DISTINCT unit AS _uu FROM units) uu ON t.unit = uu._uu")
        extra.append("uu._uu AS _known_unit")
        rules.append(
            Rule(
                "unknown_unit",
                "unknown_unit",
                "unit",
                "单位不在评估对象名单中",
                "unit IS NOT NULL AND _known_unit IS NULL",
                ("unit",),
            )
        )
    item_codes: tuple[str, int] | None = None
    item_join = exact_item_sql = ""
    if rs.item_ref and "items" in store.sets:
        catalogue = "SELECT DISTINCT unit AS _iu, item_code AS _ic FROM items"
        item_join = f"LEFT JOIN ({catalogue}) ii ON t.unit = ii._iu AND t.item_code = ii._ic"
        exact_item_sql = "item_code IS NOT NULL AND _known_item IS NULL"
        item_codes = _item_codes_type(store, rs) if store.item_check_in_scan else None
        if item_codes is not None:
            # Codes in no unit's catalogue are found per record by an ENUM cast (once per dictionary entry
            # of a Parquet column); codes of another unit's catalogue by the metric scan (see LoadedSet).
            item_sql = "item_code IS NOT NULL AND _item_code IS NULL"
            use_item_join = False
        else:
            # Which (unit, item) pairs occur is a cheap distinct scan of two dictionary-encoded columns; when
            # every pair is in the catalogue (the usual case) no record needs the per-row join (measured:
            # the join costs a fifth of the metric scan).
            _, unknown = engine.fetch(
                f"SELECT COUNT(*) FROM (SELECT DISTINCT unit, item_code FROM {typed_view} "
                f"WHERE item_code IS NOT NULL) c LEFT JOIN ({catalogue}) ii "
                "ON c.unit = ii._iu AND c.item_code = ii._ic WHERE ii._ic IS NULL"
            )
            use_item_join = int(unknown[0][0] or 0) > 0
            item_sql = exact_item_sql if use_item_join else "FALSE"
        rules.append(
            Rule(
                "unknown_item",
                "unknown_item",
                "item_code",
                GENERIC_MESSAGES["unknown_item"],
                item_sql,
                ("unit", "item_code"),
            )
        )
        if use_item_join:
            joins.append(item_join)
            extra.append("ii._ic AS _known_item")
    if rs.system_ref and "systems" in store.sets:
        joins.append("LEFT JOIN (SELECT DISTINCT system_id AS _ss FROM systems) ss ON t.system_id = ss._ss")
        extra.append("ss._ss AS _known_system")
        rules.append(
            Rule(
                "unknown_system",
                "unknown_system",
                "system_id",
                GENERIC_MESSAGES["unknown_system"],
                "system_id IS NOT NULL AND _known_system IS NULL",
                ("system_id",),
            )
        )

    if len(rules) > 62:  # pragma: no cover - the schemas have far fewer rules
        raise ValueError(f"too many rules for one record set: {rs.name}")

    # Rules that need a join (duplicates, unknown unit / item / system) are decided after it; the others on
    # the typed columns before it, where Parquet text is still dictionary-encoded and a check runs once per
    # distinct value (after the join every value is materialised; measured: the checks then cost a fifth of
    # the whole scan).
    joined_kinds = ("duplicate", "unknown_unit", "unknown_item", "unknown_system")

    def after_join(rule: Rule) -> bool:
        if rule.kind == "unknown_item":  # the ENUM test of item codes (item_codes) needs no join
            return "_known_item" in rule.sql
        return rule.kind in joined_kinds

    def bits_sql(used: list[tuple[int, Rule]]) -> str:
        if not used:
            return "0"
        # One integer per record, bit i set when rule i is broken. Nearly every record is valid: a plain OR
        # over the rules (NULL = not broken) decides that, and the bits are only summed for bad records.
        any_bad = " OR ".join(f"({r.sql})" for _, r in used)
        bits = " + ".join(f"CASE WHEN COALESCE({r.sql}, FALSE) THEN {1 << i} ELSE 0 END" for i, r in used)
        return f"CAST(CASE WHEN {any_bad} THEN {bits} ELSE 0 END AS BIGINT)"

    # The item code as the catalogue's ENUM, computed once for the rule and the metric scan (item_scan_sql).
    item_code_col = f", TRY_CAST(item_code AS {item_codes[0]}) AS _item_code" if item_codes else ""

    def build_views() -> None:
        pre_bits = bits_sql([(i, r) for i, r in enumerate(rules) if not after_join(r)])
        pre_view = f"{rs.name}__checked"
        engine.execute(
            f"CREATE OR REPLACE TEMP VIEW {pre_view} AS SELECT *, {pre_bits} AS _bits0 FROM "
            f"(SELECT *{item_code_col} FROM {typed_view}) c"
        )

        def flagged(view: str, skip_rule: int | None) -> None:
            use = [(j, e) for j, e in zip(joins, extra) if skip_rule is None or "_known_unit" not in e]
            inner = f"SELECT t.*{''.join(', ' + e for _, e in use)} FROM {pre_view} t {' '.join(j for j, _ in use)}"
            post = bits_sql([(i, r) for i, r in enumerate(rules) if after_join(r) and i != skip_rule])
            engine.execute(
                f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT *, _bits <> 0 AS _bad FROM "
                f"(SELECT *, _bits0 + {post} AS _bits FROM ({inner}) j) f"
            )

        flagged(f"{rs.name}__flagged", None)
        # The metric scan groups by unit anyway, so it checks units after aggregating instead of joining
        # every row.
        flagged(f"{rs.name}__scan", unit_rule)
        cols = ", ".join(rs.names)
        engine.execute(
            f"CREATE OR REPLACE TEMP VIEW {rs.name} AS SELECT {cols} FROM {rs.name}__flagged WHERE NOT _bad"
        )

    unit_rule = next((i for i, r in enumerate(rules) if r.kind == "unknown_unit"), None)
    build_views()

    def exact_items() -> None:
        """A unit used another unit's item code: the per-record catalogue join after all."""
        loaded = store.sets[rs.name]
        rule = next(r for r in rules if r.kind == "unknown_item")
        rule.sql = exact_item_sql
        joins.append(item_join)
        extra.append("ii._ic AS _known_item")
        loaded.item_codes = None
        loaded.exact_items = None
        build_views()

    store.sets[rs.name] = LoadedSet(
        rs,
        files,
        rules,
        has_unit=rs.unit_column is not None,
        unit_rule=unit_rule,
        item_codes=item_codes,
        exact_items=exact_items if item_codes is not None else None,
    )


def _prove_by_statistics(
    engine,  # noqa: ANN001
    files: list[Path],
    src_view: str,
    provable: list[tuple[Rule, str, str | float]],
    text_columns: list[str],
) -> set[str]:
    """Set to FALSE the rules that the Parquet files' own statistics prove never broken: no NULL in a column
    (and, for text, no empty value: the smallest value is not empty), or a smallest value at or above the
    allowed minimum. Nearly every program-written file proves most of them, and each test spared is one
    less per record in the metric scan. Only when every row group of the column has statistics; the
    smallest values are then answered by DuckDB from the footers, not from the data. Returns which of
    `text_columns` are proven to hold no empty text."""
    columns = sorted({src for _, src, _ in provable} | set(text_columns))
    if not columns:
        return set()
    names = [str(f) for f in files]
    listed = ", ".join(sql_str(c) for c in columns)
    _, meta = engine.fetch(
        "SELECT path_in_schema, SUM(stats_null_count), "
        "COUNT(*) = COUNT(stats_null_count) AND COUNT(*) = COUNT(stats_min_value) "
        f"FROM parquet_metadata({names!r}) WHERE path_in_schema IN ({listed}) GROUP BY 1"
    )
    nulls = {name: int(n) for name, n, full in meta if full and n is not None}
    # One query per column: DuckDB answers each from the footers, but not always several at once (measured:
    # a boolean among them made it read the data).
    smallest = {
        c: engine.fetch(f"SELECT MIN({_quote(c)}) FROM {src_view}")[1][0][0] for c in columns if c in nulls
    }
    no_empty = {c for c, low in smallest.items() if low is not None and low != ""}
    for rule, src, test in provable:
        if src not in nulls:
            continue
        if isinstance(test, float):  # the allowed minimum
            proven = smallest[src] is not None and float(smallest[src]) >= test
        elif test == "no_null":
            proven = nulls[src] == 0
        else:  # "filled"
            proven = nulls[src] == 0 and src in no_empty
        if proven:
            rule.sql = "FALSE"
    return no_empty & set(text_columns)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# The most distinct catalogue item codes checked in the metric scan: it keeps a bit per code for each group
# (unit x validity), 8 KB per group at this size.
ITEM_CODES_IN_SCAN = 1 << 16


def _item_codes_type(store: Store, rs: RecordSet) -> tuple[str, int] | None:
    """An ENUM type of the valid catalogue's item codes, for `item_check_in_scan` (None: too many codes or
    none, and the distinct-pairs check is used)."""
    engine = store.engine
    _, rows = engine.fetch("SELECT COUNT(DISTINCT item_code) FROM items")
    n = int(rows[0][0] or 0)
    if n == 0 or n > ITEM_CODES_IN_SCAN:
        return None
    name = f"{rs.name}__item_codes"
    engine.execute(f"DROP TYPE IF EXISTS {name}")
    engine.execute(
        f"CREATE TYPE {name} AS ENUM (SELECT DISTINCT item_code FROM items WHERE item_code IS NOT NULL)"
    )
    return name, n


def item_scan_sql(loaded: LoadedSet) -> tuple[str, Callable[[str], str]] | None:
    """For a set whose catalogue check rides on the metric scan (`LoadedSet.item_codes`): the aggregate to
    add to the scan (the item codes each group used, as bits over the catalogue's codes), and a wrapper for
    the scan query that replaces it by `_stray`, the number of codes a group used that are not in its own
    unit's catalogue. A non-zero `_stray` means: call `loaded.exact_items()` and scan again."""
    if loaded.item_codes is None:
        return None
    codes, n = loaded.item_codes

    def bits(code: str) -> str:
        return f"bitstring_agg(enum_code({code})::INTEGER, 0, {n - 1})"

    catalogue = (
        f"SELECT unit AS _cu, {bits(f'CAST(item_code AS {codes})')} AS _cat FROM items "
        "WHERE item_code IS NOT NULL GROUP BY unit"
    )

    def wrap(query: str) -> str:
        # No codes used (NULL): nothing stray; a unit without a catalogue: every code it used is.
        return (
            "SELECT g.* EXCLUDE (_used), CASE WHEN g._used IS NULL THEN 0 WHEN c._cat IS NULL "
            "THEN bit_count(g._used) ELSE bit_count(g._used & ~c._cat) END AS _stray "
            f"FROM ({query}) g LEFT JOIN ({catalogue}) c ON g.unit = c._cu"
        )

    return f"{bits('_item_code')} AS _used", wrap


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def examples(
    store: Store, name: str, rule_indexes: list[int], limit: int = 3
) -> dict[int, list[tuple[str | None, int | None, str]]]:
    """The first `limit` offending records (by file and row) of each of the given rules, in one scan of the
    set for all of them (a scan per rule cost seconds each on large files)."""
    loaded = store.sets[name]
    columns = list(dict.fromkeys(c for i in rule_indexes for c in loaded.rules[i].show))
    shown = ", ".join(f"CAST(f.{c} AS VARCHAR) AS {c}" for c in columns)
    fired = ", ".join(f"({i}, {1 << i})" for i in rule_indexes)
    _, rows = store.engine.fetch(
        f"SELECT _r, _file, _row, {', '.join(columns)} FROM (SELECT r._r, f._file, f._row, {shown}, "
        "ROW_NUMBER() OVER (PARTITION BY r._r ORDER BY f._file, f._row) AS _k "
        f"FROM (SELECT * FROM {name}__flagged WHERE _bad) f JOIN (VALUES {fired}) r(_r, _bit) "
        f"ON (f._bits & r._bit) <> 0) e WHERE _k <= {limit} ORDER BY _r, _file, _row"
    )
    out: dict[int, list[tuple[str | None, int | None, str]]] = {i: [] for i in rule_indexes}
    for row in rows:
        rule = loaded.rules[int(row[0])]
        values = dict(zip(columns, row[3:]))
        labels = []
        for col in rule.show:
            base = col.removesuffix("__raw")
            label = loaded.schema.column(base).label if base in loaded.schema.names else base
            value = values[col]
            labels.append(f"{label}={value if value is not None else '空'}")
        out[int(row[0])].append((row[1], int(row[2]) if row[2] is not None else None, "，".join(labels)))
    return out


def collect_results(store: Store, counts: dict[str, dict[int, int]]) -> list[RuleResult]:
    """Turn rule counts (record set -> {rule index: records}) into results with examples."""
    results: list[RuleResult] = []
    for name, loaded in store.sets.items():
        c = counts.get(name, {})
        fired = [i for i in range(len(loaded.rules)) if int(c.get(i, 0))]
        if not fired:
            continue
        found = examples(store, name, fired)
        files = "、".join(f.name for f in loaded.files)
        for i in fired:
            rule = loaded.rules[i]
            results.append(RuleResult(name, files, rule.id, rule.message, int(c[i]), found[i]))
    return results
