"""From a crawl to findings and checks.

Each finding carries the URL, the page it was found on, an evidence snippet and the time, so a
unit can see exactly which page cost it which points. Check results: pass, fail (a veto item is
hit) or deduct (points lost).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from govassess.inspection.crawler import CrawlResult, PageRecord
from govassess.inspection.rules import Rules
from govassess.inspection.state import fingerprint_hash
from govassess.inspection.urls import host_of


@dataclass
class Column:
    name: str
    url: str
    type: str | None
    level: int
    last_updated: dt.date | None
    items: int
    pages: int = 1  # list pages read (a paginated column's pages that opened)
    page_errors: list[str] = field(default_factory=list)  # pages of the list that did not open
    stale: bool = False
    blank: bool = False
    max_age: str | None = None
    found_on: str | None = None
    evidence: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "url": self.url,
            "type": self.type or "其他",
            "level": self.level,
            "last_updated": self.last_updated.isoformat() if self.last_updated else None,
            "items": self.items,
            "pages": self.pages,
            "page_errors": self.page_errors,
            "stale": self.stale,
            "blank": self.blank,
            "max_age": self.max_age,
            "found_on": self.found_on,
            "evidence": self.evidence,
        }


@dataclass
class Analysis:
    columns: list[Column] = field(default_factory=list)
    broken_links: list[dict[str, Any]] = field(default_factory=list)
    articles: list[dict[str, Any]] = field(default_factory=list)
    pages_without_source: list[str] = field(default_factory=list)
    sample: dict[str, Any] = field(default_factory=dict)
    home: dict[str, Any] = field(default_factory=dict)
    checks: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)


def _page_ok(rec: PageRecord) -> bool:
    return rec.info is not None


def broken_links(crawl: CrawlResult) -> list[dict[str, Any]]:
    """Links that did not open: in-scope pages with an error status or failure, and checked links."""
    out = []
    for url, rec in crawl.pages.items():
        if url == crawl.start_url:
            continue
        bad_status = rec.status is not None and rec.status >= 400
        failed = rec.error_kind in (
            "timeout",
            "connection",
            "dns",
            "tls",
            "redirect_loop",
            "too_many_redirects",
            "read",
            "bad_redirect",
        )
        if not (bad_status or failed):
            continue
        ref = crawl.refs.get(url)
        out.append(_broken(url, ref, rec.status, rec.error, rec.fetched_at, external=False))
    for url, st in crawl.link_status.items():
        if st.error is None and st.status is not None and st.status < 400:
            continue
        if st.error == "redirect_out":
            continue  # the target is elsewhere and was not followed; not a proven fault
        out.append(
            _broken(url, crawl.refs.get(url), st.status, st.message or st.error, st.checked_at, st.external)
        )
    out.sort(key=lambda b: (not b["on_home"], b["url"]))
    return out


def _broken(
    url: str, ref: Any, status: int | None, error: str | None, time: str, external: bool
) -> dict[str, Any]:
    return {
        "url": url,
        "found_on": ref.found_on if ref else None,
        "status": status,
        "error": error,
        "on_home": bool(ref and ref.on_home),
        "external": external,
        "anchor": ref.text if ref else "",
        "pages_linking": ref.count if ref else 0,
        "time": time,
    }


def find_columns(crawl: CrawlResult, rules: Rules, as_of: dt.date) -> list[Column]:
    home = crawl.home
    home_url = home.final_url if home else crawl.start_url
    nav_names: dict[str, tuple[str, str, int]] = {}  # url -> (name, found_on, level)
    for page in sorted(crawl.pages.values(), key=lambda p: (p.depth, p.url)):
        if page.info is None:
            continue
        for link in page.info.links:
            if link.area == "nav" and not link.is_resource and link.url not in nav_names and link.text:
                nav_names[link.url] = (link.text, page.url, 1 if page.url == crawl.start_url else 2)
    later_pages: dict[str, list[str]] = {}  # a paginated column's first page -> its other pages
    for page_url, root in crawl.list_pages.items():
        later_pages.setdefault(root, []).append(page_url)
    columns: dict[str, Column] = {}
    for url in sorted(crawl.pages):
        rec = crawl.pages[url]
        if rec.info is None or rec.final_url in (home_url, crawl.start_url) or rec.final_url in columns:
            continue
        if url in crawl.list_pages:
            continue  # a later page of a paginated column, read with its first page
        named = nav_names.get(url) or nav_names.get(rec.final_url)
        # The column is every page of the list: entries, links and the 暂无信息 marker of each page.
        read = [rec.info]
        errors = []
        for page_url in sorted(later_pages.get(url, ())):
            other = crawl.pages.get(page_url)
            if other is not None and other.info is not None:
                read.append(other.info)
            elif other is not None:
                errors.append(page_url)
        entries = list({e.url: e for i in reversed(read) for e in i.entries}.values())
        entries.sort(key=lambda e: e.url)
        if named is None and len(entries) < 5:
            continue  # not a column: not in any navigation, and not a list of dated items
        name, found_on, level = named or (rec.info.title, rec.found_on or "", 2)
        paged = set(later_pages.get(url, ())) | {url}
        content_pages = list(
            {
                link.url: link
                for i in read
                for link in i.links
                if link.area == "content"
                and not link.is_resource
                and link.url not in paged
                and host_of(link.url) == host_of(url)
            }.values()
        )
        empty_marker = all(i.empty_marker for i in read)
        dates = [e.date for e in entries if e.date]
        if not dates:
            # Undated list: fall back on the crawled articles it links to (发布时间 on the page).
            for link in content_pages:
                linked = crawl.pages.get(link.url)
                if linked is not None and linked.info is not None and linked.info.date is not None:
                    dates.append(linked.info.date)
        last = max(dates) if dates else None
        items = len(entries) or len(content_pages)
        kind = rules.classify(name)
        col = Column(
            name=name,
            url=rec.final_url,
            type=kind.type if kind else None,
            level=level,
            last_updated=last,
            items=items,
            pages=len(read),
            page_errors=errors,
            found_on=found_on,
            max_age=kind.describe() if kind else None,
        )
        # Blank only if every page of the list is empty.
        col.blank = empty_marker and not entries or (not entries and not content_pages)
        if kind is not None and not col.blank:
            col.stale = last is None or last < kind.cutoff(as_of)
        newest = max(entries, key=lambda e: e.date or dt.date.min) if entries else None
        if col.blank:
            col.evidence = "栏目无内容" + ("（页面显示“暂无信息”类提示）" if empty_marker else "")
        elif newest is not None:
            col.evidence = f"最新一条：{newest.title}（{newest.date}） {newest.url}"
        else:
            col.evidence = "列表条目未注明发布日期"
        columns[rec.final_url] = col
    return sorted(columns.values(), key=lambda c: c.url)


def find_articles(crawl: CrawlResult, columns: list[Column]) -> list[dict[str, Any]]:
    """信息发布类页面: pages listed as entries of a list, or pages with their own publication date."""
    listed: set[str] = set()
    for rec in crawl.pages.values():
        if rec.info is not None:
            listed.update(e.url for e in rec.info.entries)
    column_urls = {c.url for c in columns}
    out = []
    for url in sorted(crawl.pages):
        rec = crawl.pages[url]
        info = rec.info
        if (
            info is None
            or rec.depth == 0
            or rec.final_url in column_urls
            or url != rec.final_url
            or url in crawl.list_pages
        ):
            continue
        if len(info.entries) >= 3:
            continue  # a list page
        if url not in listed and info.date is None:
            continue
        out.append(
            {
                "url": url,
                "title": info.title,
                "date": info.date.isoformat() if info.date else None,
                "source": info.source,
                "found_on": rec.found_on,
                "evidence": info.source_snippet or info.title,
                "time": rec.fetched_at,
            }
        )
    return out


def draw_sample(site: str, as_of: dt.date, articles: list[dict[str, Any]], size: int) -> dict[str, Any]:
    """A reproducible random sample: the same site and as-of date always draw the same pages."""
    seed_text = f"{urlsplit(site).netloc}|{as_of.isoformat()}"
    seed = int.from_bytes(hashlib.sha256(seed_text.encode("utf-8")).digest()[:8], "big")
    urls = sorted(a["url"] for a in articles)
    chosen = sorted(random.Random(seed).sample(urls, min(size, len(urls))))
    by_url = {a["url"]: a for a in articles}
    return {
        "seed": seed_text,
        "size": size,
        "pages": chosen,
        "without_source": [u for u in chosen if not by_url[u]["source"]],
    }


def _check(
    check: str,
    result: str,
    value: Any,
    points: float | None,
    evidence: list[Any] | str,
    *,
    kind: str,
    criteria: str,
) -> dict[str, Any]:
    return {
        "check": check,
        "kind": kind,  # veto / deduct / item
        "result": result,
        "value": value,
        "points": points,
        "criteria": criteria,
        "evidence": evidence,
    }


def analyse(
    crawl: CrawlResult, rules: Rules, as_of: dt.date, state: dict[str, Any] | None = None
) -> Analysis:
    an = Analysis()
    an.columns = find_columns(crawl, rules, as_of)
    an.broken_links = broken_links(crawl)
    an.articles = find_articles(crawl, an.columns)
    an.pages_without_source = [a["url"] for a in an.articles if not a["source"]]
    sample_rule = rules.deductions["source_sample"]
    an.sample = draw_sample(crawl.start_url, as_of, an.articles, int(sample_rule["size"]))
    home = crawl.home
    hinfo = home.info if home else None
    vetoes = rules.vetoes
    checks = an.checks

    # --- availability across runs (this run's home-page fetch is one probe) -------------------
    avail = vetoes["availability"]
    probe = {
        "time": home.fetched_at if home else crawl.started_at,
        "date": as_of.isoformat(),
        "status": home.status if home else None,
        "elapsed": home.elapsed if home else None,
        "ok": bool(home and home.info is not None and home.elapsed < float(avail["timeout_seconds"])),
        "error": home.error if home else next((str(e["message"]) for e in crawl.errors), "首页未能抓取"),
    }
    runs = list((state or {}).get("runs", []))
    window_start = as_of - dt.timedelta(days=int(avail["window_days"]) - 1)
    probes = [
        r["probe"]
        for r in runs
        if "probe" in r and window_start.isoformat() <= r["probe"]["date"] <= as_of.isoformat()
    ]
    probes.append(probe)
    failed = [p for p in probes if not p["ok"]]
    ratio = len(failed) / len(probes)
    days, per_day, limit = int(avail["window_days"]), int(avail["probes_per_day"]), float(avail["failure_ratio"])
    # The rule is a week of monitoring with at least 20 visits every day: before that, one failed fetch
    # would be 100 % and veto the site. Until every day of the window is covered the check is undetermined.
    per_date: dict[str, int] = {}
    for p in probes:
        per_date[p["date"]] = per_date.get(p["date"], 0) + 1
    short = [
        (d, per_date.get(d, 0))
        for d in ((window_start + dt.timedelta(days=i)).isoformat() for i in range(days))
        if per_date.get(d, 0) < per_day
    ]
    criteria = (
        f"监测{days}天、每天访问{per_day}次以上，超过（含）{avail['timeout_seconds']}秒打不开的次数占比超过（含）"
        f"{limit:.0%}即单项否决"
    )
    if short:
        listed = "、".join(f"{d} {n} 次" for d, n in short[:7])
        evidence: list[Any] | str = (
            f"监测不足，未判定：{window_start.isoformat()} 至 {as_of.isoformat()} 共 {len(probes)} 次访问，"
            f"{len(short)} 天少于 {per_day} 次（{listed}）；其中 {len(failed)} 次未在 "
            f"{avail['timeout_seconds']} 秒内打开。请补足监测（inspect-probe 定时访问）或由检查人员人工认定"
        )
        result = "undetermined"
    else:
        evidence = [
            {"time": p["time"], "status": p["status"], "elapsed": p["elapsed"], "error": p["error"]}
            for p in failed
        ] or f"{len(probes)} 次访问均在 {avail['timeout_seconds']} 秒内打开"
        result = "fail" if ratio >= limit else "pass"
    checks.append(
        _check("站点无法访问", result, round(ratio, 4), None, evidence, kind="veto", criteria=criteria)
    )

    # --- home page not updated -----------------------------------------------------------------
    days = int(vetoes["home_unchanged_days"])
    home_dates = [e.date for e in hinfo.entries if e.date] if hinfo else []
    portal_only = not home_dates
    if portal_only:
        # 首页仅为栏目导航入口: judge by the second-level pages (the first-level columns) instead.
        home_dates = [c.last_updated for c in an.columns if c.level == 1 and c.last_updated]
    latest = max(home_dates) if home_dates else None
    fp = fingerprint_hash(hinfo.fingerprint) if hinfo else None
    unchanged_since = as_of
    crawls = [
        r for r in runs if r.get("kind", "inspect") == "inspect"
    ]  # probe-only runs carry no fingerprint
    for run in reversed(crawls):
        if run.get("home_fingerprint") != fp or fp is None:
            break
        unchanged_since = dt.date.fromisoformat(run["date"])
    changed = bool(crawls) and crawls[-1].get("home_fingerprint") != fp
    runs_before = bool(crawls)
    by_date = latest is None or latest < as_of - dt.timedelta(days=days)
    by_runs = (as_of - unchanged_since).days >= days
    an.home = {
        "url": crawl.start_url,
        "status": home.status if home else None,
        "elapsed": home.elapsed if home else None,
        "latest_item": latest.isoformat() if latest else None,
        "portal_only": portal_only,
        "fingerprint": fp,
        "changed_since_last_run": changed if runs_before else None,
        "unchanged_since": unchanged_since.isoformat() if runs_before else None,
        "probe": probe,
    }
    evidence: list[Any] = []
    where = "首页栏目入口所指一级栏目" if portal_only else "首页"
    if by_date:
        evidence.append(f"{where}最新信息日期：{latest or '无日期'}，早于 {as_of - dt.timedelta(days=days)}")
    if by_runs:
        evidence.append(f"自 {unchanged_since} 起各次检查首页信息列表均未变化")
    result = "fail" if (by_date or by_runs) else "pass"
    if hinfo is None:
        # The home page did not open this time: nothing says whether it was updated (站点无法访问 covers it).
        result = "undetermined"
        shown = f"状态 {home.status}" if home and home.status else (probe["error"] or "未能抓取")
        evidence = [f"首页本次未能打开（{shown}），无法判断是否更新；请在首页恢复后重新检查"]
    checks.append(
        _check(
            "首页不更新",
            result,
            latest.isoformat() if latest else None,
            None,
            evidence or f"{where}最新信息日期 {latest}",
            kind="veto",
            criteria=f"监测{days}天，首页无信息更新即单项否决（未注明发布时间的视为不更新）",
        )
    )

    # --- columns --------------------------------------------------------------------------------
    kinds = {k.type: k for k in rules.column_types}
    stale_veto = [
        c
        for c in an.columns
        if c.stale
        and c.type
        and kinds[c.type].counts_for_stale_veto
        and (c.level == 1 or not kinds[c.type].first_level_only)
    ]
    abandoned = [c for c in an.columns if c.stale or c.blank]
    blank = [c for c in an.columns if c.blank]

    def col_ev(cols: list[Column]) -> list[dict[str, Any]]:
        return [
            {
                "url": c.url,
                "name": c.name,
                "last_updated": c.to_dict()["last_updated"],
                "evidence": c.evidence,
            }
            for c in cols
        ]

    for name, cols, limit, criteria in (
        (
            "栏目不更新",
            stale_veto,
            vetoes["stale_columns"],
            "动态、要闻类栏目2周内、通知公告、政策文件类一级栏目6个月内未更新，累计超过（含）{n}个即单项否决",
        ),
        (
            "应更新但长期未更新栏目",
            abandoned,
            vetoes["abandoned_columns"],
            "应更新但长期未更新的栏目（含空白栏目）超过（含）{n}个即单项否决",
        ),
        ("空白栏目", blank, vetoes["blank_columns"], "空白栏目数量超过（含）{n}个即单项否决"),
    ):
        checks.append(
            _check(
                name,
                "fail" if len(cols) >= int(limit) else "pass",
                len(cols),
                None,
                col_ev(cols),
                kind="veto",
                criteria=criteria.format(n=limit),
            )
        )

    # --- broken links ---------------------------------------------------------------------------
    ded = rules.deductions
    home_broken = [b for b in an.broken_links if b["on_home"]]
    other_broken = [b for b in an.broken_links if not b["on_home"]]
    for name, items, each in (
        ("首页链接可用性", home_broken, float(ded["broken_link_home"])),
        ("其他页面链接可用性", other_broken, float(ded["broken_link_other"])),
    ):
        pts = round(len(items) * each, 4)
        checks.append(
            _check(
                name,
                "deduct" if items else "pass",
                len(items),
                pts,
                [
                    {"url": b["url"], "found_on": b["found_on"], "status": b["status"], "error": b["error"]}
                    for b in items
                ],
                kind="deduct",
                criteria=f"链接打不开或错误，每出现1个扣{each:g}分",
            )
        )

    # --- 信息来源 sample (seed 000) -------------------------------------------------------------
    each = float(sample_rule["each"])
    missing = an.sample["without_source"]
    share = min(1.0, len(missing) * each)
    checks.append(
        _check(
            "信息来源抽查",
            "deduct" if missing else "pass",
            len(missing),
            round(share, 4),
            missing or f"抽查 {len(an.sample['pages'])} 个信息发布类页面均注明信息来源",
            kind="deduct",
            criteria=f"随机抽查{sample_rule['size']}个信息发布类页面，每发现1个未注明信息来源的扣{each:.0%}，扣完为止"
            "（points 为扣除该项分值的比例）",
        )
    )

    # --- presence items -------------------------------------------------------------------------
    def item(name: str, ok: bool, value: Any, evidence: Any, criteria: str) -> None:
        checks.append(
            _check(name, "pass" if ok else "fail", value, None, evidence, kind="item", criteria=criteria)
        )

    sitemap = sorted({u for p in crawl.pages.values() if p.info for u in p.info.sitemap_links})
    item(
        "站点地图",
        bool(sitemap),
        bool(sitemap),
        sitemap[:5] or "未发现“网站地图/站点地图”链接",
        "网站建立站点地图，对主要栏目进行导航",
    )
    search_pages = sorted(u for u, p in crawl.pages.items() if p.info and p.info.has_search)
    has_search = bool(hinfo and hinfo.has_search)
    item("搜索功能", has_search, has_search, search_pages[:5] or "首页未发现搜索框", "首页提供站内搜索")
    share_pages = [
        (u, p.info.share_evidence) for u, p in sorted(crawl.pages.items()) if p.info and p.info.share_evidence
    ]
    article_urls = {a["url"] for a in an.articles}
    share_articles = [u for u, _ in share_pages if u in article_urls]
    item(
        "社交媒体分享",
        bool(share_articles),
        len(share_articles),
        [{"url": u, "snippet": s} for u, s in share_pages[:3]] or "文章页未发现分享到社交媒体的功能",
        "网站文章页提供向主要社交媒体分享的功能",
    )
    popups = hinfo.popups if hinfo else []
    unclosable = [p for p in popups if not p["closable"]]
    item(
        "飘窗",
        not unclosable,
        len(popups),
        [{"url": crawl.start_url, "snippet": p["snippet"], "closable": p["closable"]} for p in popups]
        or "首页未发现飘窗",
        "没有使用飘窗或使用飘窗但具备显著关闭功能",
    )
    ids = hinfo.identifiers if hinfo else {}
    for name in ("网站标识码", "ICP备案号", "公安机关备案号", "党政机关网站标识"):
        item(name, name in ids, ids.get(name), ids.get(name) or f"首页未发现{name}", f"首页底部列明{name}")
    scheme = urlsplit(home.final_url if home else crawl.start_url).scheme
    item(
        "HTTPS", scheme == "https", scheme, home.final_url if home else crawl.start_url, "网站使用 HTTPS 访问"
    )
    host = host_of(crawl.start_url)
    item("政府网站域名", host.endswith(".gov.cn"), host, host, "政府网站使用 .gov.cn 域名")
    checks.append(
        _check(
            "信息来源（全站）",
            "fail" if an.pages_without_source else "pass",
            len(an.pages_without_source),
            None,
            an.pages_without_source[:50],
            kind="item",
            criteria=f"抓取到的 {len(an.articles)} 个信息发布类页面均注明信息来源",
        )
    )
    an.findings = _findings(crawl, an)
    return an


def _findings(crawl: CrawlResult, an: Analysis) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for b in an.broken_links:
        what = f"状态 {b['status']}" if b["status"] and b["status"] >= 400 else (b["error"] or "无法打开")
        out.append(
            {
                "kind": "失效链接",
                "url": b["url"],
                "found_on": b["found_on"],
                "evidence": f"链接「{b['anchor']}」{what}",
                "time": b["time"],
            }
        )
    for c in an.columns:
        if c.stale or c.blank:
            rec = crawl.pages.get(c.url)
            out.append(
                {
                    "kind": "空白栏目" if c.blank else "栏目未更新",
                    "url": c.url,
                    "found_on": c.found_on,
                    "evidence": f"{c.name}：{c.evidence}"
                    + (f"（更新要求 {c.max_age}）" if c.max_age and not c.blank else ""),
                    "time": rec.fetched_at if rec else None,
                }
            )
    for a in an.articles:
        if not a["source"]:
            out.append(
                {
                    "kind": "未注明信息来源",
                    "url": a["url"],
                    "found_on": a["found_on"],
                    "evidence": a["evidence"],
                    "time": a["time"],
                }
            )
    return out
