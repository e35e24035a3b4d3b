"""Read side of the data feeds: who sees which site and report, monitoring (政务服务指标分析) through the core."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from govassess.errors import UserError
from govassess.web.accounts.models import Role
from govassess.web.accounts.selectors import user_role, user_unit_id
from govassess.web.feeds.models import FeedPush, InspectionReport, RecordSet, UnitSite

# Checks that cost points or fail the site; a unit sees these first.
LOSING = ("fail", "deduct")


def can_view_feeds(user) -> bool:
    return user_role(user=user) in (Role.OFFICE, Role.REVIEWER, Role.FILLER)


def sites_for(*, user) -> QuerySet[UnitSite]:
    """Office and reviewers (who rule on appeals) see every site; a unit only its own."""
    role = user_role(user=user)
    qs = UnitSite.objects.select_related("unit")
    if role in (Role.OFFICE, Role.REVIEWER):
        return qs
    if role == Role.FILLER:
        return qs.filter(unit_id=user_unit_id(user=user))
    return qs.none()


def reports_for(*, user) -> QuerySet[InspectionReport]:
    role = user_role(user=user)
    qs = InspectionReport.objects.select_related("site", "unit")
    if role in (Role.OFFICE, Role.REVIEWER):
        return qs
    if role == Role.FILLER:
        return qs.filter(unit_id=user_unit_id(user=user))
    return qs.none()


def report_get(*, user, pk: int) -> InspectionReport:
    from django.shortcuts import get_object_or_404

    rep = get_object_or_404(InspectionReport.objects.select_related("site", "unit"), pk=pk)
    if not reports_for(user=user).filter(pk=rep.pk).exists():
        raise PermissionDenied("您无权查看该单位的网站检查报告。")
    return rep


def report_view(report: InspectionReport) -> dict[str, Any]:
    """What a unit must see: each losing check with its points and evidence pages, then everything else."""
    data = report.report or {}
    checks = []
    for c in data.get("checks", []):
        ev = c.get("evidence")
        items = []
        if isinstance(ev, list):
            for e in ev[:200]:
                if isinstance(e, dict):
                    items.append(
                        {
                            "url": e.get("url", ""),
                            "found_on": e.get("found_on", ""),
                            "what": e.get("status")
                            or e.get("error")
                            or e.get("last_updated")
                            or e.get("name")
                            or "",
                        }
                    )
                else:
                    items.append({"url": str(e), "found_on": "", "what": ""})
        checks.append(
            {
                "check": c.get("check"),
                "kind": c.get("kind", ""),
                "result": c.get("result"),
                "losing": c.get("result") in LOSING,
                "value": c.get("value"),
                "points": c.get("points"),
                "criteria": c.get("criteria", ""),
                "evidence_text": ev if isinstance(ev, str) else "",
                "evidence": items,
                "more": max(0, len(ev) - 200) if isinstance(ev, list) else 0,
            }
        )
    checks.sort(key=lambda c: not c["losing"])
    return {
        "data": data,
        "checks": checks,
        "broken": data.get("broken_links", [])[:500],
        "stale": [c for c in data.get("columns", []) if c.get("stale") or c.get("blank")][:300],
        "without_source": data.get("pages_without_source", [])[:300],
        "sample": data.get("sample") or {},
        "errors": data.get("crawl_errors", [])[:200],
    }


def pushes_for(*, round, unit) -> list[dict[str, Any]]:
    """Feed rows stored for one unit in a round, with their notes (the evidence) — shown on its fill page."""
    out = []
    for push in FeedPush.objects.filter(round=round).select_related("report").order_by("-created_at"):
        rows = [r for r in push.rows if r.get("unit") == unit.code]
        if rows:
            out.append({"push": push, "rows": rows, "report": push.report})
    return out


# ---- monitoring ----------------------------------------------------------------------------------------


def record_set_pick(pk: str | None) -> RecordSet | None:
    qs = RecordSet.objects.all()
    if pk and str(pk).isdigit():
        return qs.filter(pk=int(pk)).first()
    return qs.first()


def _units_file(tmp: str) -> Path:
    from govassess.web.feeds.services import write_units_file

    return write_units_file(Path(tmp) / "units.csv")


def monitor(
    kind: str, *, record_set: RecordSet, start: dt.date, end: dt.date, as_of: dt.date, unit: str | None
):
    """Run one monitoring report of the core: volume (总量分析), ratings (评价分析 / 区域分析), alerts (差评提醒)."""
    from govassess.metrics import bad_rating_alerts, parse_period, rating_analysis, volume_trend

    path = Path(record_set.path)
    if kind == "alerts":
        return bad_rating_alerts(records_dir=path, as_of=as_of, unit=unit)
    if start > end:
        raise UserError("期间的开始日期不能晚于结束日期", field="开始日期")
    period = parse_period(start.isoformat(), end.isoformat())
    if kind == "volume":
        return volume_trend(records_dir=path, period=period, unit=unit)
    if kind == "ratings":
        with tempfile.TemporaryDirectory() as tmp:
            return rating_analysis(records_dir=path, period=period, units_file=_units_file(tmp))
    raise UserError(f"未知的监测报表「{kind}」")


def volume_chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Monthly totals by channel and by item type, for two stacked bar charts."""
    months = sorted({r["月份"] for r in rows})

    def series(key: str) -> list[dict[str, Any]]:
        names = sorted({r[key] for r in rows})
        out = []
        for n in names:
            per = {m: 0 for m in months}
            for r in rows:
                if r[key] == n:
                    per[r["月份"]] += int(r["办件数"])
            out.append({"name": n, "data": [per[m] for m in months]})
        return out

    return {"months": months, "channel": series("受理渠道"), "type": series("事项类型")}


def ratings_chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    units = [r for r in rows if r["层级"] == "单位"]
    regions = [r for r in rows if r["层级"] == "区域"]
    return {
        "units": [r["单位或区域"] for r in units],
        "unit_good": [round((r["好评率"] or 0) * 100, 2) for r in units],
        "regions": [r["单位或区域"] for r in regions],
        "region_good": [round((r["好评率"] or 0) * 100, 2) for r in regions],
        "region_mean": [r["平均满意度"] for r in regions],
    }
