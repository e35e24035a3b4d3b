"""One inspection run: crawl, analyse, update the state, and the report.json structure."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from govassess.errors import UserError
from govassess.inspection.analysis import analyse
from govassess.inspection.crawler import CrawlConfig, CrawlResult, crawl_site
from govassess.inspection.rules import Rules, load_rules
from govassess.inspection.state import load_state, save_state

REPORT_VERSION = 1


def inspect_site(
    config: CrawlConfig,
    *,
    as_of: dt.date | None = None,
    rules: Rules | None = None,
    state_dir: str | Path | None = None,
) -> dict[str, Any]:
    """Crawl ``config.start_url`` and return the report (a JSON-ready dict)."""
    rules = rules or load_rules()
    as_of = as_of or dt.date.today()
    state = load_state(state_dir, config.start_url) if state_dir else None
    crawl = crawl_site(config)
    if crawl.home is None:
        robots = [str(e["message"]) for e in crawl.errors if e["kind"] == "robots"]
        if not robots:
            # robots.txt answered and forbids the home page: nothing may be inspected.
            why = crawl.not_checked.get(crawl.start_url, "未抓取")
            raise UserError(f"无法检查 {crawl.start_url}：首页{why}")
        # robots.txt unreachable: one visit of the home page tells a site that is down (reported below
        # as 站点无法访问) from a site whose robots.txt alone fails (content may not be crawled).
        probe = probe_site(config.start_url, state_dir=None, as_of=as_of, timeout=config.timeout)
        if probe["ok"]:
            if state is not None and state_dir:
                state["runs"].append(
                    {"kind": "probe", "date": as_of.isoformat(), "time": probe["time"], "probe": probe}
                )
                save_state(state_dir, config.start_url, state)
            raise UserError(
                f"无法检查 {crawl.start_url}：{robots[0]}；首页可以打开"
                + ("（本次访问已记入可访问性监测）" if state_dir else "")
            )
    an = analyse(crawl, rules, as_of, state)
    report = build_report(crawl, an, config, as_of)
    if state_dir and state is not None:
        state["runs"].append(
            {
                "kind": "inspect",
                "date": as_of.isoformat(),
                "time": crawl.started_at,
                "home_fingerprint": an.home["fingerprint"],
                "home_latest_item": an.home["latest_item"],
                "probe": an.home["probe"],
            }
        )
        report["state_file"] = str(save_state(state_dir, config.start_url, state))
    return report


def _verdict(checks: list[dict[str, Any]]) -> str:
    vetoed = [c["check"] for c in checks if c["kind"] == "veto" and c["result"] == "fail"]
    open_ = [c["check"] for c in checks if c["kind"] == "veto" and c["result"] == "undetermined"]
    pending = "；尚未判定：" + "、".join(open_) + "（见各项说明）" if open_ else ""
    if vetoed:
        return "不合格（单项否决：" + "、".join(vetoed) + "）" + pending
    if open_:
        return "未触发已判定的单项否决" + pending
    return "未触发单项否决"


def build_report(crawl: CrawlResult, an: Any, config: CrawlConfig, as_of: dt.date) -> dict[str, Any]:
    return {
        "version": REPORT_VERSION,
        "site": crawl.start_url,
        "hosts": crawl.hosts or sorted(config.scope),
        "as_of": as_of.isoformat(),
        "started_at": crawl.started_at,
        "finished_at": crawl.finished_at,
        "elapsed_seconds": crawl.elapsed,
        "pages_crawled": len(crawl.pages),
        "pages_parsed": sum(1 for p in crawl.pages.values() if p.info is not None),
        "links_checked": len(crawl.link_status),
        "verdict": _verdict(an.checks),
        "home": an.home,
        "broken_links": an.broken_links,
        "columns": [c.to_dict() for c in an.columns],
        "articles": an.articles,
        "pages_without_source": an.pages_without_source,
        "sample": an.sample,
        "checks": an.checks,
        "findings": an.findings,
        "crawl_errors": sorted(crawl.errors, key=lambda e: str(e["url"])),
        "redirects": dict(sorted(crawl.redirects.items())),
        "not_checked": [{"url": u, "reason": r} for u, r in sorted(crawl.not_checked.items())],
        "skipped": dict(sorted(crawl.skipped.items())),
        "skipped_examples": crawl.skipped_examples,
        "settings": {
            "max_pages": config.max_pages,
            "max_depth": config.max_depth,
            "max_column_pages": config.max_list_pages,
            "per_host": config.per_host,
            "delay": config.delay,
            "timeout": config.timeout,
            "max_bytes": config.max_bytes,
            "external": config.external,
            "obey_robots": config.obey_robots,
        },
    }


def write_report(report: dict[str, Any], path: str | Path) -> None:
    """Atomicity is the caller's (govassess.outputs.OutputSet hands out the temporary path)."""
    Path(path).write_text(json.dumps(report, ensure_ascii=False, indent=1, default=str), "utf-8")


# What inspect-inputs reads of a report.json (see inputs.report_to_rows); other fields pass through.
REPORT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "site": {"type": "string"},
        "as_of": {"type": "string"},
        "checks": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["check", "result", "value", "evidence"],
                "properties": {
                    "check": {"type": "string"},
                    "result": {"type": "string"},
                    "evidence": {"type": ["array", "string", "null"]},
                },
            },
        },
        "sample": {
            "type": "object",
            "required": ["pages", "without_source", "seed"],
            "properties": {
                "pages": {"type": "array"},
                "without_source": {"type": "array", "items": {"type": "string"}},
            },
        },
        "columns": {
            "type": ["array", "null"],
            "items": {"type": "object", "properties": {"url": {"type": "string"}, "name": {"type": ["string", "null"]}}},
        },
    },
}


def read_report(path: str | Path) -> dict[str, Any]:
    from govassess import json_input

    data = json_input.load_json(path, what="检查报告", file=str(path))
    if isinstance(data, dict):
        for key in ("site", "as_of", "checks", "sample"):
            if key not in data:
                raise UserError(f"检查报告缺少字段「{key}」，不是 govassess inspect 生成的报告", file=str(path))
    json_input.check_shape(data, REPORT_SCHEMA, file=str(path), what="检查报告")
    return data


def probe_site(
    url: str, *, state_dir: str | Path | None, as_of: dt.date | None = None, timeout: float = 15.0
) -> dict[str, Any]:
    """One availability visit of the home page, recorded in the state (for 站点无法访问 monitoring).

    Meant to be run by a scheduler many times a day between full inspections.
    """
    from govassess.inspection.fetch import Fetcher
    from govassess.inspection.urls import normalize_url

    start = normalize_url(url)
    if start is None:
        raise UserError(f"网址「{url}」不是有效的 http/https 地址", field="URL")
    as_of = as_of or dt.date.today()
    fetcher = Fetcher(timeout=timeout)
    resp = fetcher.fetch(start)
    fetcher.close()
    probe = {
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "date": as_of.isoformat(),
        "status": resp.status,
        "elapsed": round(resp.elapsed, 3),
        "ok": resp.error is None
        and resp.status is not None
        and 200 <= resp.status < 300
        and resp.elapsed < timeout,
        "error": resp.message,
    }
    if state_dir is not None:
        state = load_state(state_dir, start)
        state["runs"].append(
            {"kind": "probe", "date": as_of.isoformat(), "time": probe["time"], "probe": probe}
        )
        save_state(state_dir, start, state)
    return probe
