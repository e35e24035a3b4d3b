"""SQL engines the metrics run on. Every statement is written once in the DuckDB dialect; the Spark engine
transpiles it with sqlglot. Engines only register source files, run statements and fetch rows."""

from __future__ import annotations

import csv
import datetime as dt
import math
import tempfile
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import sqlglot

from govassess.errors import UserError
from govassess.xlsx_guard import check_workbook

# Kinds a source column can already have (anything else is read as text and parsed).
_DUCK_KINDS = {
    "VARCHAR": "str",
    "BIGINT": "int",
    "INTEGER": "int",
    "SMALLINT": "int",
    "TINYINT": "int",
    "UBIGINT": "int",
    "UINTEGER": "int",
    "HUGEINT": "int",
    "DOUBLE": "float",
    "FLOAT": "float",
    "BOOLEAN": "bool",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP_NS": "timestamp",
    "TIMESTAMP_MS": "timestamp",
    "TIMESTAMP_S": "timestamp",
    "DATE": "date",
}


def _cell_text(value: Any) -> str | None:
    """Excel cells as the text a user typed, so Excel and CSV go through the same parsing and checks."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value):
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, dt.timedelta):  # calamine returns durations for bare times
        minutes = int(value.total_seconds() // 60)
        return f"{minutes // 60:02d}:{minutes % 60:02d}"
    return str(value).strip()


def refuse_repeated_names(header: Sequence[object], file: str) -> None:
    """Two columns with one name (sheets put together by hand in WPS / Excel) would make which one counts
    depend on the engine: refused, naming both columns."""
    seen: dict[str, int] = {}
    for i, cell in enumerate(header, start=1):
        name = str(cell).strip() if cell is not None else ""
        if name and name in seen:
            raise UserError(
                f"列名“{name}”重复（第 {seen[name]} 列和第 {i} 列），请删除或改名其中一列", file=file, row=1
            )
        seen.setdefault(name, i)


def read_xlsx_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str | None]]]]:
    """First visible sheet of an XLSX as header + (sheet row number, text cells), empty rows dropped.

    A hidden (or very hidden) sheet is never read in place of the visible one the user sees."""
    from python_calamine import CalamineWorkbook

    check_workbook(path, file=path.name)
    try:
        book = CalamineWorkbook.from_path(str(path))
        visible = [m.name for m in book.sheets_metadata if str(m.visible).split(".")[-1].lower() == "visible"]
        if not visible:
            raise UserError("Excel 文件没有可见的工作表（隐藏的工作表不会被读取）", file=path.name)
        rows = book.get_sheet_by_name(visible[0]).to_python(skip_empty_area=False)
    except UserError:
        raise
    except Exception:  # calamine raises its own types for corrupt files
        raise UserError("无法读取 Excel 文件：文件已损坏或不是 .xlsx 格式（请在 Excel 或 WPS 中打开后另存）", file=path.name) from None
    if not rows:
        raise UserError(f"Excel 文件的第一个可见工作表「{visible[0]}」为空", file=path.name)
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    refuse_repeated_names(header, path.name)
    body = [(i, [_cell_text(v) for v in row]) for i, row in enumerate(rows[1:], start=2)]
    return header, [(i, r) for i, r in body if any(v is not None for v in r)]


@dataclass
class KeyStats:
    records: int
    filled: int  # records with every key column filled
    maybe_repeated: bool  # False proves the filled keys distinct
    repeated_hashes: str | None = None  # a table of the key hashes seen more than once (column h)
    _pending: Callable[[], None] | None = field(default=None, repr=False, compare=False)

    def settle(self) -> KeyStats:
        """Wait for a background check (`key_stats(background=True)`) to finish."""
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending()
        return self


class DuckDBEngine:
    """The default engine: embedded, out of core, SQL straight over Parquet and CSV."""

    name = "duckdb"
    has_row_numbers = True

    def __init__(
        self,
        *,
        memory_limit: str | None = None,
        threads: int | None = None,
        temp_directory: str | None = None,
    ):
        self.con = duckdb.connect()
        self._tmp: tempfile.TemporaryDirectory | None = None
        # Aggregates need no order, and keeping insertion order through the validation joins serialises the
        # pipeline (measured: 3x slower on 2 cores). Only loading CSV / Excel turns it on, for row numbers.
        self.con.execute("SET preserve_insertion_order = false")
        # Progress is reported by the callers in Chinese; DuckDB's own bar would garble CLI and server logs.
        self.con.execute("SET enable_progress_bar = false")
        if memory_limit:
            self.con.execute(f"SET memory_limit = '{memory_limit}'")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        if temp_directory:
            self.con.execute(f"SET temp_directory = '{temp_directory}'")

    def register_files(self, view: str, files: Sequence[Path]) -> dict[str, str]:
        """Create view `view` over the files with `_file` and `_row` (the row a user sees, header = 1;
        for Parquet the 1-based record number). Returns column -> kind."""
        suffix = files[0].suffix.lower()
        names = [str(f) for f in files]
        if suffix == ".parquet":
            self.con.execute(
                f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT *, "
                f"regexp_extract(filename, '[^/\\\\]+$') AS _file, file_row_number + 1 AS _row "
                f"FROM read_parquet({names!r}, filename = true, file_row_number = true)"
            )
        elif suffix == ".csv":
            # Materialised so that rowid is the line in the file (insertion order is preserved).
            self.con.execute("SET preserve_insertion_order = true")
            parts = []
            for i, f in enumerate(files):
                tmp = f"{view}__csv{i}"
                try:
                    self.con.execute(
                        f"CREATE OR REPLACE TEMP TABLE {tmp} AS SELECT * FROM read_csv(?, all_varchar = true, "
                        "header = true, encoding = 'utf-8')",
                        [str(f)],
                    )
                except duckdb.Error as err:
                    self.con.execute("SET preserve_insertion_order = false")
                    raise UserError(
                        f"无法读取 CSV 文件（应为 UTF-8 编码、首行为列名）：{err}", file=f.name
                    ) from None
                parts.append(f"SELECT *, {sql_str(f.name)} AS _file, rowid + 2 AS _row FROM {tmp}")
            self.con.execute("SET preserve_insertion_order = false")
            self.con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS " + " UNION ALL BY NAME ".join(parts))
        elif suffix == ".xlsx":
            # Cells become text in a temporary CSV (with their sheet row numbers), then follow the CSV path.
            parts = []
            for i, f in enumerate(files):
                header, body = read_xlsx_rows(f)
                tmp_csv = Path(self._tmpdir()) / f"{view}_{i}.csv"
                with tmp_csv.open("w", newline="", encoding="utf-8") as fh:
                    w = csv.writer(fh)
                    w.writerow([*header, "_row"])
                    for row_no, r in body:
                        w.writerow(
                            [
                                *(v if v is not None else "" for v in r[: len(header)]),
                                *([""] * (len(header) - len(r))),
                                row_no,
                            ]
                        )
                tmp = f"{view}__xlsx{i}"
                self.con.execute(
                    f"CREATE OR REPLACE TEMP TABLE {tmp} AS SELECT * FROM read_csv(?, all_varchar = true, "
                    "header = true)",
                    [str(tmp_csv)],
                )
                parts.append(
                    f"SELECT * REPLACE (CAST(_row AS BIGINT) AS _row), {sql_str(f.name)} AS _file FROM {tmp}"
                )
            self.con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS " + " UNION ALL BY NAME ".join(parts))
        else:  # pragma: no cover - callers only pass known suffixes
            raise UserError("不支持的文件类型（支持 CSV、Parquet、XLSX）", file=files[0].name)
        described = self.con.execute(f"DESCRIBE {view}").fetchall()
        return {row[0]: _DUCK_KINDS.get(str(row[1]).upper(), "other") for row in described}

    # Hashes held in memory at once by `key_stats` (8 bytes each, plus DuckDB's copy while fetching).
    HASH_BATCH = 120_000_000

    # Repeated key hashes kept to narrow the exact listing of duplicates; more than this and every key is
    # grouped instead (such a file is mostly duplicates anyway).
    REPEATED_HASHES_KEPT = 1_000_000

    def key_stats(
        self, view: str, keys: Sequence[str], repeated_table: str | None = None, *, background: bool = False
    ) -> KeyStats:
        """Records, records with every key column filled, and whether two filled keys may be equal.

        Exact in the safe direction: False proves the keys are distinct. The 64-bit key hashes are sorted in
        numpy and neighbours compared (measured 4x cheaper than DuckDB's COUNT(DISTINCT), which builds a hash
        table of every key); True means a duplicate or a hash collision, and the caller lists duplicates
        exactly. With `repeated_table`, the hashes seen more than once are also stored in that table
        (column `h`; `KeyStats.repeated_hashes`), so that the listing only groups the keys with those
        hashes; not when there are more than REPEATED_HASHES_KEPT of them. More keys than HASH_BATCH are
        checked in hash partitions, one scan each, to bound memory.

        With `background`, the sort runs in a thread (numpy releases the GIL) and `records` and `filled`
        are final at once, while `maybe_repeated` and `repeated_hashes` are only after `settle()`: the
        caller reads the next record set meanwhile, using the core the single-threaded sort leaves idle."""
        import numpy as np

        not_null = " AND ".join(f"{k} IS NOT NULL" for k in keys)
        key = f"hash({', '.join(keys)})"
        # COUNT(*) of a view over Parquet is answered from the file footers; the filled keys are counted
        # by the hash fetch itself, which must read them anyway.
        total = int(self.con.execute(f"SELECT COUNT(*) FROM {view}").fetchone()[0])
        parts = max(1, -(-total // self.HASH_BATCH))
        stats = KeyStats(total, 0, False)
        repeated: list[Any] = []

        def check(h: Any) -> None:
            h.sort()
            if _equal_neighbours(h):
                repeated.append(np.unique(h[1:][h[1:] == h[:-1]]))

        failed: list[BaseException] = []

        def check_in_thread(h: Any) -> None:
            try:
                check(h)
            except BaseException as err:  # raised again by done(): a lost error would read as "no repeats"
                failed.append(err)

        def done() -> None:
            if failed:
                raise failed[0]
            stats.maybe_repeated = bool(repeated)
            kept = sum(int(r.size) for r in repeated)
            if repeated and repeated_table and kept <= self.REPEATED_HASHES_KEPT:
                self.con.register("_govassess_repeated", {"h": np.concatenate(repeated)})
                self.con.execute(
                    f"CREATE OR REPLACE TEMP TABLE {repeated_table} AS SELECT h FROM _govassess_repeated"
                )
                self.con.unregister("_govassess_repeated")
                stats.repeated_hashes = repeated_table

        for part in range(parts):
            where = not_null if parts == 1 else f"{not_null} AND {key} % {parts} = {part}"
            h = np.asarray(self.con.execute(f"SELECT {key} AS h FROM {view} WHERE {where}").fetchnumpy()["h"])
            stats.filled += int(h.size)
            if background and parts == 1:
                import threading

                worker = threading.Thread(
                    target=check_in_thread, args=(h,), name="govassess-key-sort", daemon=True
                )
                worker.start()
                del h

                def settle(worker: threading.Thread = worker) -> None:
                    worker.join()
                    done()

                stats._pending = settle
                return stats
            check(h)
            del h
        done()
        return stats

    def execute(self, sql: str) -> None:
        self.con.execute(sql)

    def fetch(self, sql: str) -> tuple[list[str], list[tuple]]:
        cur = self.con.execute(sql)
        cols = [d[0] for d in cur.description]
        return cols, cur.fetchall()

    def _tmpdir(self) -> str:
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="govassess-xlsx-")
        return self._tmp.name

    def close(self) -> None:
        self.con.close()
        if self._tmp is not None:
            self._tmp.cleanup()


def _equal_neighbours(h: Any, step: int = 1 << 20) -> bool:
    """Whether a sorted array has two equal neighbours, compared in slices that stay in the CPU cache
    (measured: 5x faster than one comparison of the whole array, which writes an array as long)."""
    import numpy as np

    for i in range(0, h.size - 1, step):
        j = min(i + step, h.size - 1)
        if bool(np.any(h[i + 1 : j + 1] == h[i:j])):
            return True
    return False


def _check_utf8(path: Path, chunk: int = 1 << 24) -> None:
    """Raise a located UserError unless the file is valid UTF-8 (read in chunks, so any size works)."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with path.open("rb") as fh:
        while True:
            data = fh.read(chunk)
            try:
                decoder.decode(data, final=not data)
            except UnicodeDecodeError as err:
                line += data.count(b"\n", 0, max(err.start, 0))
                raise UserError(
                    "无法读取 CSV 文件（应为 UTF-8 编码）：此行附近有不是 UTF-8 的字节"
                    "（WPS / Excel 请另存为“CSV UTF-8”）",
                    file=path.name,
                    row=line,
                ) from None
            if not data:
                return
            line += data.count(b"\n")


def sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def to_spark(sql: str) -> str:
    return sqlglot.transpile(sql, read="duckdb", write="spark")[0]


def _spark_failures(method: Callable) -> Callable:
    """A Spark job that fails (a damaged file, an unreachable or overloaded cluster) becomes a UserError with
    Spark's own first line, so the CLI and the web run show what happened instead of an internal error."""
    import functools

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except UserError:
            raise
        except Exception as err:
            if not type(err).__module__.startswith(("pyspark", "py4j")):
                raise
            first = next((line.strip() for line in str(err).splitlines() if line.strip()), type(err).__name__)
            raise UserError(f"Spark 计算失败：{first[:300]}") from None

    return wrapper


class SparkEngine:
    """Apache Spark (local mode unless a master is given); runs the same DuckDB-dialect SQL transpiled
    by sqlglot. `_row` is the same row number DuckDB gives for the same file (see `register_files`).

    A Spark context already running in the process (another engine, a test session) is reused through a new
    session of its own (separate temp views) and left running on `close`; one this engine starts, it stops."""

    name = "spark"
    has_row_numbers = True

    def __init__(self, *, master: str = "local[2]", spark: Any = None):
        try:
            from pyspark import SparkContext
            from pyspark.sql import SparkSession
        except ImportError:
            raise UserError("未安装 pyspark，无法使用 Spark 引擎（pip install 'pyspark>=4,<5'）") from None
        self._owned = False
        self._cached: list[Any] = []
        tune = spark is None  # a session handed in keeps its caller's settings
        if spark is None and SparkContext._active_spark_context is not None:
            spark = SparkSession.builder.getOrCreate().newSession()
        if spark is None:
            try:
                with warnings.catch_warnings():
                    # Starting a SparkContext imports pyspark.testing.utils (from a py4j argument converter),
                    # which warns "PySpark does not yet fully support pandas >= 3.0.0" whenever pandas 3 is
                    # merely installed. This engine uses no pandas feature of PySpark (see
                    # tests/metrics/test_spark_without_pandas.py and docs/dependencies.md), so the warning
                    # says nothing about it; it is silenced here only.
                    warnings.filterwarnings(
                        "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
                    )
                    spark = (
                        SparkSession.builder.master(master)
                        .appName("govassess-metrics")
                        .config("spark.sql.session.timeZone", "UTC")
                        .config("spark.sql.shuffle.partitions", "4")
                        .config("spark.ui.enabled", "false")
                        .getOrCreate()
                    )
            except Exception as err:  # no Java, bad master URL: pyspark raises plain runtime errors
                raise UserError(
                    f"无法启动 Spark（需要 Java 17，master 为 {master}）：{str(err)[:300]}"
                ) from None
            self._owned = True
        self.spark = spark
        self.spark.conf.set("spark.sql.session.timeZone", "UTC")
        if tune:
            self.spark.conf.set("spark.sql.shuffle.partitions", "4")

    @_spark_failures
    def register_files(self, view: str, files: Sequence[Path]) -> dict[str, str]:
        """Create view `view` over the files with `_file` and `_row`, numbered as DuckDBEngine numbers them:
        CSV the record's row with the header as row 1 (a quoted line break stays inside its record, blank
        lines are skipped), XLSX the sheet row, Parquet the 1-based record number in its file."""
        from functools import reduce

        from pyspark.sql import functions as F

        suffix = files[0].suffix.lower()
        if suffix == ".parquet":
            # `_metadata.row_index` is the record's index in its file whatever the splitting (Spark >= 3.4,
            # SPARK-37980; Parquet only).
            df = self.spark.read.parquet(*[str(f) for f in files])
            df = df.select(
                "*",
                F.col("_metadata.file_name").alias("_file"),
                (F.col("_metadata.row_index") + 1).alias("_row"),
            )
        elif suffix == ".csv":
            df = reduce(lambda a, b: a.unionByName(b, allowMissingColumns=True), map(self._read_csv, files))
        elif suffix == ".xlsx":
            df = reduce(lambda a, b: a.unionByName(b, allowMissingColumns=True), map(self._read_xlsx, files))
        else:  # pragma: no cover
            raise UserError("不支持的文件类型（支持 CSV、Parquet、XLSX）", file=files[0].name)
        df.createOrReplaceTempView(view)
        kinds = {
            "string": "str",
            "bigint": "int",
            "int": "int",
            "smallint": "int",
            "double": "float",
            "float": "float",
            "boolean": "bool",
            "timestamp": "timestamp",
            "timestamp_ntz": "timestamp",
            "date": "date",
        }
        return {name: kinds.get(t, "other") for name, t in df.dtypes}

    def _read_csv(self, path: Path) -> Any:
        from pyspark.sql import functions as F

        _check_utf8(path)  # Spark would silently turn bad bytes into U+FFFD; DuckDB refuses the file
        df = (
            self.spark.read.option("header", True)
            .option("inferSchema", False)
            .option("encoding", "UTF-8")
            # Quoted line breaks stay inside their record (as in DuckDB); it also makes the file one
            # unsplittable partition read front to back, which the row numbers below rely on.
            .option("multiLine", True)
            .option("escape", '"')  # "" inside quotes is a quote (RFC 4180, as DuckDB reads it)
            .csv(str(path))
        )
        if df.rdd.getNumPartitions() != 1:  # pragma: no cover - a multiLine CSV file is never split
            raise RuntimeError(f"Spark split {path.name} into several partitions; row numbers would be wrong")
        # The id counts records within the partition from 0, i.e. within this file (header = row 1).
        return df.withColumn("_file", F.lit(path.name)).withColumn(
            "_row", F.monotonically_increasing_id() + 2
        )

    def _read_xlsx(self, path: Path) -> Any:
        from pyspark.sql.types import LongType, StringType, StructField, StructType

        header, body = read_xlsx_rows(path)
        width = len(header)
        rows = [[*r[:width], *([None] * (width - len(r))), path.name, row_no] for row_no, r in body]
        schema = StructType(
            [
                *(StructField(h, StringType()) for h in header),
                StructField("_file", StringType()),
                StructField("_row", LongType()),
            ]
        )
        return self.spark.createDataFrame(rows, schema)

    @_spark_failures
    def execute(self, sql: str) -> None:
        prefix = "CREATE OR REPLACE TEMP TABLE "
        if sql.startswith(prefix):
            # A DuckDB temp table becomes a cached temp view in Spark.
            name, _, select = sql[len(prefix) :].partition(" AS ")
            df = self.spark.sql(to_spark(select)).cache()
            self._cached.append(df)
            df.createOrReplaceTempView(name.strip())
            return
        self.spark.sql(to_spark(sql))

    @_spark_failures
    def fetch(self, sql: str) -> tuple[list[str], list[tuple]]:
        df = self.spark.sql(to_spark(sql))
        cols = df.columns
        return cols, [tuple(r) for r in df.collect()]

    def close(self) -> None:
        # Cached tables live in the shared context, not the session: free them when the context stays up.
        for df in self._cached:
            df.unpersist()
        self._cached.clear()
        if self._owned:
            self.spark.stop()
