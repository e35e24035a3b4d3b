"""Write side of the data feeds: unit sites, inspections and probes (网上抓取), record folders and metric runs
(系统统计), and pushing their inputs into a round.

Every function is keyword-only, checks permissions itself (only the office changes feeds), writes an audit
entry, and leaves the evaluation itself to the core (`govassess.inspection`, `govassess.metrics`,
`govassess.data.inputs_from_rows`). Pushing reuses the round's all-or-nothing import."""

from __future__ import annotations

import csv
import datetime as dt
import logging
import os
import secrets
import shutil
import threading
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from govassess.errors import Problem, UserError, shown_as
from govassess.outputs import recover as recover_outputs
from govassess.web.audit.services import audit_record
from govassess.web.feeds.models import (
    FeedPush,
    InspectionReport,
    MetricsEngine,
    MetricsRun,
    RecordSet,
    SiteProbe,
    UnitSite,
)
from govassess.web.jobs import job_submit, jobs_recover
from govassess.web.organisation.models import Unit
from govassess.web.organisation.selectors import units_frame
from govassess.web.rounds import policy
from govassess.web.rounds.models import JobStatus, Round
from govassess.web.systems.selectors import system_core

log = logging.getLogger(__name__)

SOURCE_WEB = "网上抓取"
SOURCE_STATS = "系统统计"
RECORD_SUFFIXES = {".csv", ".parquet", ".xlsx"}


def _office(user) -> None:
    policy.require(policy.can_manage(user), "只有评估办可以管理数据来源。")


def _start(kind: str, pk: int, background: bool) -> None:
    # A thread of this process, or left QUEUED for `govassess web worker` (GOVASSESS_JOBS; docs/web.md).
    job_submit(kind, pk, background)


def _finish_thread(own_thread: bool) -> None:
    if own_thread:
        connection.close()
    else:
        close_old_connections()


# ---- settings read here (operator configuration, never user input) --------------------------------------


def crawl_options() -> dict[str, Any]:
    """CrawlConfig overrides: settings.GOVASSESS_INSPECT (a dict), e.g. {"delay": 1.0, "external": "none"}."""
    return dict(getattr(settings, "GOVASSESS_INSPECT", None) or {})


def state_dir(site: UnitSite) -> Path:
    return Path(settings.DATA_DIR) / "inspection-state" / str(site.pk)


def server_record_dirs() -> dict[str, str]:
    """Record folders on the server that the operator configured: settings.GOVASSESS_RECORDS_DIRS (dict) or
    the environment variable GOVASSESS_RECORDS_DIRS ("名称=/路径;名称2=/路径2")."""
    configured = getattr(settings, "GOVASSESS_RECORDS_DIRS", None)
    if configured:
        return {str(k): str(v) for k, v in dict(configured).items()}
    out = {}
    for part in os.environ.get("GOVASSESS_RECORDS_DIRS", "").split(";"):
        if "=" in part:
            name, path = part.split("=", 1)
            if name.strip() and path.strip():
                out[name.strip()] = path.strip()
    return out


def records_max_bytes() -> int:
    return int(os.environ.get("RECORDS_MAX_MB", "2048")) * 1024 * 1024


SPARK_MISSING = "未安装 pyspark，无法使用 Spark 引擎"


def spark_available() -> bool:
    """Whether the Spark engine can be offered: pyspark is installed (found without importing it)."""
    import importlib.util

    return importlib.util.find_spec("pyspark") is not None


def spark_master() -> str:
    """Where Spark runs: settings.GOVASSESS_SPARK_MASTER or the environment variable of that name, e.g.
    "local[4]" or "spark://host:7077"; default "local[2]" (in this process, two cores)."""
    configured = getattr(settings, "GOVASSESS_SPARK_MASTER", None) or os.environ.get("GOVASSESS_SPARK_MASTER")
    return str(configured or "local[2]").strip()


def metrics_engine(name: str):  # noqa: ANN201
    """The engine a run computes on; the caller closes it."""
    from govassess.metrics import DuckDBEngine, SparkEngine

    if name == MetricsEngine.SPARK:
        return SparkEngine(master=spark_master())
    return DuckDBEngine()


# One Spark run at a time per process: runs share the process's one Spark context, and the run that
# started it stops it when done.
_SPARK_LOCK = threading.Lock()


# ---- sites ---------------------------------------------------------------------------------------------


def site_add(*, user, unit: Unit, url: str, max_pages: int = 500) -> UnitSite:
    from govassess.inspection.urls import normalize_url

    _office(user)
    url = (url or "").strip()
    norm = normalize_url(url)
    if norm is None:
        raise UserError(f"网址「{url}」不是有效的 http/https 地址", field="网址")
    if not 1 <= int(max_pages) <= 100_000:
        raise UserError("最大页面数应在 1 到 100000 之间", field="最大页面数")
    if UnitSite.objects.filter(unit=unit, url=norm).exists():
        raise UserError(f"{unit.name} 已登记网址 {norm}", field="网址")
    with transaction.atomic():
        site = UnitSite.objects.create(unit=unit, url=norm, max_pages=int(max_pages))
        audit_record(
            user=user,
            action="site_add",
            object_type="unit_site",
            object_id=site.pk,
            unit_code=unit.code,
            after={"url": norm, "max_pages": site.max_pages},
        )
    return site


def site_update(*, user, site: UnitSite, active: bool, max_pages: int) -> UnitSite:
    """Pause or resume the scheduled inspection of a site, or change its page limit."""
    _office(user)
    if not 1 <= int(max_pages) <= 100_000:
        raise UserError("最大页面数应在 1 到 100000 之间", field="最大页面数")
    with transaction.atomic():
        before = {"active": site.active, "max_pages": site.max_pages}
        site.active, site.max_pages = bool(active), int(max_pages)
        site.save(update_fields=["active", "max_pages"])
        audit_record(
            user=user,
            action="site_update",
            object_type="unit_site",
            object_id=site.pk,
            unit_code=site.unit.code,
            before=before,
            after={"active": site.active, "max_pages": site.max_pages},
        )
    return site


def site_delete(*, user, site: UnitSite) -> None:
    _office(user)
    with transaction.atomic():
        audit_record(
            user=user,
            action="site_delete",
            object_type="unit_site",
            object_id=site.pk,
            unit_code=site.unit.code,
            before={"url": site.url, "reports": site.reports.count()},
        )
        site.delete()


# ---- inspections ---------------------------------------------------------------------------------------


def _inspection_create(*, user, site: UnitSite, as_of: dt.date | None) -> InspectionReport:
    jobs_recover(kinds=("inspection",))  # a crashed process's inspection must not block this one
    with transaction.atomic():
        if site.reports.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).exists():
            raise UserError(f"{site.url} 已有检查任务在运行，请稍候。")
        rep = InspectionReport.objects.create(
            site=site, unit=site.unit, as_of=as_of or timezone.localdate(), created_by=user
        )
        audit_record(
            user=user,
            action="inspection_start",
            object_type="inspection_report",
            object_id=rep.pk,
            unit_code=site.unit.code,
            after={"url": site.url, "as_of": rep.as_of.isoformat()},
            username=None if user is not None else "定时任务",
        )
    return rep


def inspection_start(
    *, user, site: UnitSite, as_of: dt.date | None = None, background: bool = True
) -> InspectionReport:
    """ "Run now": one full inspection of a site as a background job."""
    _office(user)
    rep = _inspection_create(user=user, site=site, as_of=as_of)
    _start("inspection", rep.pk, background)
    rep.refresh_from_db()
    return rep


def inspection_execute(report_id: int, *, own_thread: bool = False) -> None:
    from govassess.inspection import CrawlConfig, inspect_site

    close_old_connections()
    try:
        rep = InspectionReport.objects.select_related("site").get(pk=report_id)
        InspectionReport.objects.filter(pk=report_id).update(status=JobStatus.RUNNING, message="抓取中")
        site = rep.site
        config = CrawlConfig(site.url, max_pages=site.max_pages, **crawl_options())
        folder = state_dir(site)
        folder.mkdir(parents=True, exist_ok=True)
        report = inspect_site(config, as_of=rep.as_of, state_dir=folder)
        InspectionReport.objects.filter(pk=report_id).update(
            status=JobStatus.DONE,
            message=f"完成：抓取 {report.get('pages_crawled', 0)} 页",
            report=report,
            finished_at=timezone.now(),
        )
    except UserError as err:
        InspectionReport.objects.filter(pk=report_id).update(
            status=JobStatus.FAILED, message=str(err)[:4000], finished_at=timezone.now()
        )
    except Exception:  # a failed job must be visible, not a silent dead thread
        log.exception("inspection %s failed", report_id)
        InspectionReport.objects.filter(pk=report_id).update(
            status=JobStatus.FAILED,
            message="网站检查出现内部错误，请查看服务器日志。",
            finished_at=timezone.now(),
        )
    finally:
        _finish_thread(own_thread)


def probe_run(*, site: UnitSite) -> SiteProbe:
    """One availability visit (for 站点无法访问: 1 week, ≥ 20 visits a day); called by the scheduled job."""
    from govassess.inspection import probe_site

    folder = state_dir(site)
    folder.mkdir(parents=True, exist_ok=True)
    timeout = float(crawl_options().get("timeout", 15.0))
    try:
        p = probe_site(site.url, state_dir=folder, as_of=timezone.localdate(), timeout=timeout)
    except UserError as err:
        return SiteProbe.objects.create(site=site, ok=False, error=str(err)[:500])
    return SiteProbe.objects.create(
        site=site,
        ok=bool(p.get("ok")),
        status=p.get("status"),
        elapsed=p.get("elapsed"),
        error=str(p.get("error") or "")[:500],
    )


def inspect_due(*, every_days: int = 7, probe: bool = True, as_of: dt.date | None = None) -> list[str]:
    """The scheduled job: sites without a finished inspection in the last `every_days` days are crawled (or,
    with GOVASSESS_JOBS=worker, queued for the worker); the others get one probe. Returns one line per site
    (Chinese) for the cron log."""
    from govassess.web.jobs import job_mode

    # With a job worker the crawls wait in its queue, so the cron job ends at once and crawls run one at a
    # time wherever the workers are; otherwise they run here, one after another.
    queue = job_mode() == "worker"
    lines = []
    since = timezone.now() - dt.timedelta(days=every_days)
    for site in UnitSite.objects.filter(active=True).select_related("unit"):
        recent = site.reports.filter(created_at__gte=since).exclude(status=JobStatus.FAILED).exists()
        if not recent:
            try:
                rep = _inspection_create(user=None, site=site, as_of=as_of)
            except UserError as err:
                lines.append(f"{site.unit.code} {site.url}：{err}")
                continue
            if queue:
                job_submit("inspection", rep.pk, True)  # the task row the worker takes
                lines.append(f"{site.unit.code} {site.url}：检查已排队，由后台任务进程执行")
                continue
            job_submit("inspection", rep.pk, False)  # here and now, holding the job's owner lock
            rep.refresh_from_db()
            lines.append(f"{site.unit.code} {site.url}：检查{rep.get_status_display()}（{rep.message}）")
        elif probe:
            p = probe_run(site=site)
            state = "可访问" if p.ok else f"不可访问（{p.status or p.error}）"
            lines.append(f"{site.unit.code} {site.url}：探测 {state}")
    return lines


# ---- pushing inputs into a round -----------------------------------------------------------------------


def push_rows(*, user, round: Round, rows: list[dict[str, str]], source: str, **link) -> FeedPush:
    """All-or-nothing: the core validates every value (located errors), then the round's import checks each
    row's permission and stores it with optimistic locking and one audit entry per value."""
    import polars as pl

    from govassess.data import inputs_from_rows
    from govassess.web.rounds.services import input_values_import

    _office(user)
    policy.require_unlocked(round)
    if not rows:
        raise UserError("没有可导入的输入数据。")
    codes = sorted({str(r["unit"]) for r in rows})
    units = {u.code: u for u in Unit.objects.filter(code__in=codes)}
    missing = [c for c in codes if c not in units]
    if missing:
        raise UserError(
            problems=[Problem(f"评估对象「{c}」不存在，请先在基础数据中登记", field="unit") for c in missing]
        )
    inputs_from_rows(system_core(round.system), units_frame(units.values()), rows, source=source)
    frame = pl.DataFrame(
        [{k: str(r.get(k) or "") for k in ("unit", "indicator", "input", "value", "note")} for r in rows],
        schema={k: pl.String for k in ("unit", "indicator", "input", "value", "note")},
    )
    with transaction.atomic():
        stored = input_values_import(user=user, round=round, frame=frame, source=source)
        push = FeedPush.objects.create(
            round=round, source=source, count=stored, rows=rows, created_by=user, **link
        )
        audit_record(
            user=user,
            action="feed_push",
            object_type="feed_push",
            object_id=push.pk,
            round=round,
            unit_code=codes[0] if len(codes) == 1 else "",
            after={
                "source": source,
                "rows": len(rows),
                "stored": stored,
                **{k: v.pk for k, v in link.items()},
            },
        )
    return push


def report_push(*, user, report: InspectionReport, round: Round, map_text: str = "") -> FeedPush:
    """report_to_rows → the round's inputs (source 网上抓取); each row's note carries the evidence URLs."""
    from govassess.inspection import report_to_rows

    _office(user)
    policy.require_unlocked(round)
    if report.status != JobStatus.DONE or not report.report:
        raise UserError("该检查尚未完成，不能导入。")
    mapping = _inspection_map(map_text)
    # A value the report could not determine (e.g. too little availability monitoring) is left blank:
    # pushing it would erase what an inspector entered by hand.
    rows = [r for r in report_to_rows(report.report, mapping, unit=report.unit.code) if r["value"] != ""]
    return push_rows(user=user, round=round, rows=rows, source=SOURCE_WEB, report=report)


def _inspection_map(map_text: str) -> dict[str, Any]:
    import tempfile

    from govassess.inspection import load_map

    if not (map_text or "").strip():
        return load_map()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "映射文件.yaml"
        path.write_text(map_text, encoding="utf-8")
        with shown_as(path, "映射文件.yaml"):
            return load_map(path)


# ---- raw records and metric runs -----------------------------------------------------------------------


def records_root() -> Path:
    return Path(settings.DATA_DIR) / "records"


def _safe_members(zf: zipfile.ZipFile) -> list[tuple[zipfile.ZipInfo, PurePosixPath]]:
    members, problems, total = [], [], 0
    for info in zf.infolist():
        name = info.filename.replace("\\", "/")
        p = PurePosixPath(name)
        if info.is_dir() or p.name.startswith(".") or "__MACOSX" in p.parts:
            continue
        if p.is_absolute() or ".." in p.parts or len(p.parts) > 3:
            problems.append(
                Problem(f"压缩包中的路径「{name}」不允许（不能含 .. 或绝对路径，最多两层文件夹）")
            )
            continue
        if p.suffix.lower() not in RECORD_SUFFIXES:
            problems.append(Problem(f"压缩包中的文件「{name}」不是 CSV、Parquet 或 XLSX 记录文件"))
            continue
        total += info.file_size
        members.append((info, p))
    if total > records_max_bytes():
        problems.append(
            Problem(f"解压后共 {total / 1048576:.0f} MB，超过上限 {records_max_bytes() // 1048576} MB")
        )
    if not members and not problems:
        problems.append(Problem("压缩包中没有记录文件（cases.csv、好差评.xlsx 等，见 docs/records.md）"))
    if problems:
        raise UserError(problems=problems)
    return members


def records_upload(*, user, name: str, upload) -> RecordSet:
    """A ZIP of a records folder, extracted under the data dir (never where the web server serves files)."""
    _office(user)
    name = (name or "").strip() or Path(upload.name or "记录").stem
    if not (upload.name or "").lower().endswith(".zip"):
        raise UserError(f"请上传 ZIP 压缩包，而不是「{upload.name}」", field="记录文件夹（ZIP）")
    try:
        zf = zipfile.ZipFile(upload)
    except zipfile.BadZipFile:
        raise UserError(f"「{upload.name}」不是有效的 ZIP 压缩包", field="记录文件夹（ZIP）") from None
    with zf:
        members = _safe_members(zf)
        root = records_root()
        root.mkdir(parents=True, exist_ok=True)
        recover_outputs(root)  # staging folders of uploads whose process was killed (kill -9) are removed
        dest = None
        try:
            with transaction.atomic():
                rs = RecordSet.objects.create(name=name[:200], path="", uploaded=True, created_by=user)
                # Extracted into a staging folder, renamed to the record set's folder just before the commit:
                # a process killed while extracting leaves no half-filled folder (the next upload removes the
                # staging folder), and the row exists only with its complete folder.
                staging = root / f".{rs.pk}.{os.getpid()}-{secrets.token_hex(4)}.tmp"
                staging.mkdir()
                try:
                    for info, p in members:
                        target = staging.joinpath(*p.parts)
                        target.parent.mkdir(parents=True, exist_ok=True)
                        with zf.open(info) as src, target.open("wb") as out:
                            shutil.copyfileobj(src, out, 1 << 20)
                    # A ZIP of the folder itself holds one top folder: the records are inside it.
                    entries = list(staging.iterdir())
                    inner = entries[0].name if len(entries) == 1 and entries[0].is_dir() else None
                    final = root / str(rs.pk)
                    if final.exists():
                        # No row can own it (this pk is new): the folder of a rolled-back upload or of a
                        # database restored to an older sequence. Replace it rather than refuse the upload.
                        shutil.rmtree(final)
                    os.rename(staging, final)
                except BaseException:
                    shutil.rmtree(staging, ignore_errors=True)
                    raise
                dest = root / str(rs.pk)
                rs.path = str(dest / inner if inner else dest)
                rs.save(update_fields=["path"])
                audit_record(
                    user=user,
                    action="records_upload",
                    object_type="record_set",
                    object_id=rs.pk,
                    after={"name": rs.name, "files": [str(p) for _, p in members][:200]},
                )
        except BaseException:
            if dest is not None:  # renamed, then the transaction failed: no row may point to it
                shutil.rmtree(dest, ignore_errors=True)
            raise
    return rs


def records_register_server(*, user, key: str) -> RecordSet:
    """A folder on the server, chosen by the name the operator gave it (never a path typed by a user)."""
    _office(user)
    dirs = server_record_dirs()
    if key not in dirs:
        raise UserError(f"未配置名为「{key}」的服务器记录目录", field="服务器目录")
    path = Path(dirs[key])
    if not path.is_dir():
        raise UserError(f"服务器记录目录「{key}」（{path}）不存在，请联系系统管理员", field="服务器目录")
    with transaction.atomic():
        rs = RecordSet.objects.create(name=key, path=str(path), uploaded=False, created_by=user)
        audit_record(
            user=user, action="records_server", object_type="record_set", object_id=rs.pk, after={"name": key}
        )
    return rs


def metrics_start(
    *,
    user,
    record_set: RecordSet,
    period_from: dt.date,
    period_to: dt.date,
    map_ref: str = "",
    map_text: str = "",
    engine: str = MetricsEngine.DUCKDB,
    info_rules: str = "",
    background: bool = True,
) -> MetricsRun:
    from govassess.metrics import load_definitions
    from govassess.metrics.infowork import PRESET_NAMES
    from govassess.metrics.output import builtin_maps, load_map

    _office(user)
    if info_rules and info_rules not in PRESET_NAMES:
        raise UserError(f"未知的信息报送考评办法「{info_rules}」", field="信息报送考评办法")
    if period_from > period_to:
        raise UserError("期间的开始日期不能晚于结束日期", field="开始日期")
    engine = engine or MetricsEngine.DUCKDB
    if engine not in MetricsEngine.values:
        raise UserError(f"未知的计算引擎「{engine}」（可选 duckdb、spark）", field="计算引擎")
    if engine == MetricsEngine.SPARK and not spark_available():
        raise UserError(SPARK_MISSING, field="计算引擎")
    if map_ref == "upload":
        if not map_text.strip():
            raise UserError("请上传映射文件（YAML）", field="映射")
        load_metric_map(map_text, load_definitions(), load_map)  # located errors now, not in the job
    elif map_ref and map_ref not in builtin_maps():
        raise UserError(f"未知的内置映射「{map_ref}」", field="映射")
    jobs_recover(kinds=("metrics",))  # a crashed process's run must not block this one
    with transaction.atomic():
        if record_set.runs.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).exists():
            raise UserError("该记录目录已有计算任务在运行，请稍候。")
        run = MetricsRun.objects.create(
            record_set=record_set,
            period_from=period_from,
            period_to=period_to,
            map_ref=map_ref,
            map_text=map_text if map_ref == "upload" else "",
            engine=engine,
            info_rules=info_rules,
            created_by=user,
        )
        audit_record(
            user=user,
            action="metrics_start",
            object_type="metrics_run",
            object_id=run.pk,
            after={
                "record_set": record_set.name,
                "from": period_from.isoformat(),
                "to": period_to.isoformat(),
                "map": map_ref,
                "engine": engine,
                "info_rules": info_rules,
            },
        )
    _start("metrics", run.pk, background)
    run.refresh_from_db()
    return run


def load_metric_map(text: str, defs, load_map):
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "映射文件.yaml"
        path.write_text(text, encoding="utf-8")
        with shown_as(path, "映射文件.yaml"):
            return load_map(path, defs)


def write_units_file(path: Path) -> Path:
    """The platform's units as the records' units file (unit, name, class, region): unknown units in the
    records are then reported as invalid instead of silently computed."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["unit", "name", "class", "region"])
        for u in Unit.objects.order_by("code"):
            w.writerow([u.code, u.name, u.unit_class, (u.attributes or {}).get("region", "")])
    return path


def metrics_execute(run_id: int, *, own_thread: bool = False) -> None:
    import tempfile

    from govassess.metrics import compute_metrics, input_rows, load_definitions, load_info_rules, parse_period
    from govassess.metrics.output import load_map

    close_old_connections()
    lock = None
    try:
        run = MetricsRun.objects.select_related("record_set").get(pk=run_id)
        if run.engine == MetricsEngine.SPARK:
            if not _SPARK_LOCK.acquire(blocking=False):
                MetricsRun.objects.filter(pk=run_id).update(message="等待其他 Spark 计算结束")
                _SPARK_LOCK.acquire()
            lock = _SPARK_LOCK
        MetricsRun.objects.filter(pk=run_id).update(status=JobStatus.RUNNING, message="计算中")
        defs = load_definitions()
        if run.map_ref == "upload":
            mmap = load_metric_map(run.map_text, defs, load_map)
        elif run.map_ref:
            mmap = load_map(run.map_ref, defs)
        else:
            mmap = None
        period = parse_period(run.period_from.isoformat(), run.period_to.isoformat())
        with tempfile.TemporaryDirectory() as tmp:
            units = write_units_file(Path(tmp) / "units.csv")
            engine = metrics_engine(run.engine)
            try:
                # 信息报送 points only under the regime the office chose here or in the map (none is assumed;
                # the summary says so).
                chosen = run.info_rules or (mmap.info_rules if mmap is not None else None)
                info_rules = load_info_rules(chosen) if chosen else None
                result = compute_metrics(
                    engine,
                    Path(run.record_set.path),
                    period,
                    units_file=units,
                    definitions=defs,
                    info_rules=info_rules,
                )
            finally:
                engine.close()
        rows, left_out = input_rows(result, mmap)
        problems = [
            {
                "record_set": r.record_set,
                "files": r.files,
                "rule": r.rule,
                "message": r.message,
                "count": r.count,
                "examples": [{"file": f, "row": n, "values": v} for f, n, v in r.examples[:5]],
            }
            for r in result.rule_results
        ]
        summary = result.summary_lines()[: len(result.totals)] + list(result.notices)
        summary += [f"未计算「{m.name}」（{m.code}）：{why}" for m, why in result.skipped]
        summary += [f"未输出：{x}" for x in left_out]
        MetricsRun.objects.filter(pk=run_id).update(
            status=JobStatus.DONE,
            message=f"完成：{len(rows)} 项输入",
            rows=rows,
            problems=problems,
            summary=[str(s) for s in summary],
            finished_at=timezone.now(),
        )
    except UserError as err:
        MetricsRun.objects.filter(pk=run_id).update(
            status=JobStatus.FAILED,
            message="\n".join(str(p) for p in err.problems)[:8000],
            finished_at=timezone.now(),
        )
    except Exception:  # a failed job must be visible, not a silent dead thread
        log.exception("metrics run %s failed", run_id)
        MetricsRun.objects.filter(pk=run_id).update(
            status=JobStatus.FAILED,
            message="指标计算出现内部错误，请查看服务器日志。",
            finished_at=timezone.now(),
        )
    finally:
        if lock is not None:
            lock.release()
        _finish_thread(own_thread)


def run_push(*, user, run: MetricsRun, round: Round) -> FeedPush:
    """The run's inputs → the round (source 系统统计), all-or-nothing."""
    _office(user)
    policy.require_unlocked(round)
    if run.status != JobStatus.DONE:
        raise UserError("该计算尚未完成，不能导入。")
    return push_rows(user=user, round=round, rows=list(run.rows), source=SOURCE_STATS, run=run)
