"""A polite, bounded crawler for one government website.

Breadth-first, one depth level at a time, URLs of a level in sorted order: with a page limit the
same site gives the same set of pages on every run, which an appeal depends on. Within a level
pages are fetched concurrently, at most ``per_host`` at a time per host and ``delay`` seconds apart.
Only the configured hosts are crawled; other links are checked once (status only) or reported as
not checked, depending on ``external``.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import urllib.robotparser
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from govassess.errors import UserError
from govassess.inspection.encoding import decode_html
from govassess.inspection.fetch import Fetcher, Response
from govassess.inspection.parse import PageInfo, parse_page
from govassess.inspection.urls import (
    host_of,
    is_calendar_url,
    is_loopback_host,
    netloc_of,
    normalize_url,
    trap_reason,
    url_pattern,
)

EXTERNAL_POLICIES = ("check", "loopback", "none")


@dataclass
class CrawlConfig:
    start_url: str
    hosts: tuple[str, ...] = ()  # extra host[:port] names in scope besides the start URL's
    max_pages: int = 500
    max_depth: int = 8
    workers: int = 8
    per_host: int = 2
    delay: float = 0.5  # seconds between two requests to one host
    timeout: float = 15.0
    max_bytes: int = 5_000_000
    max_redirects: int = 5
    external: str = "check"  # check | loopback (only loopback hosts, for tests) | none
    max_link_checks: int = 3000
    obey_robots: bool = True
    calendar_limit: int = 5  # pages per calendar-like URL pattern
    pattern_limit: int = 100  # pages per URL pattern that differ only in query values
    max_list_pages: int = 20  # pages read per paginated column (its first page included)
    user_agent: str = "govassess-inspector/0.1 (+https://github.com/govassess)"
    verify_tls: bool = True
    progress: Callable[[int, int], None] | None = None  # (pages done, pages queued)

    def __post_init__(self) -> None:
        start = normalize_url(self.start_url)
        if start is None:
            raise UserError(f"网址「{self.start_url}」不是有效的 http/https 地址", field="URL")
        self.start_url = start
        if self.external not in EXTERNAL_POLICIES:
            raise UserError(f"外部链接策略应为 {'/'.join(EXTERNAL_POLICIES)}，而不是「{self.external}」")
        if self.max_list_pages < 1:
            raise UserError("每个栏目的最大分页数必须至少为 1", field="--max-column-pages")
        if self.max_pages < 1:
            raise UserError("最大页面数必须至少为 1", field="--max-pages")

    @property
    def scope(self) -> frozenset[str]:
        """Hosts crawled: the start URL's, the configured ones, and each with or without "www."."""
        names = {netloc_of(self.start_url), *(h.lower() for h in self.hosts)}
        variants = {n[4:] if n.startswith("www.") else "www." + n for n in names if not _is_ip(n)}
        return frozenset(names | variants)


@dataclass
class PageRecord:
    url: str
    final_url: str
    status: int | None
    depth: int
    found_on: str | None
    elapsed: float
    fetched_at: str
    encoding: str | None = None
    info: PageInfo | None = None
    error: str | None = None  # user-facing message
    error_kind: str | None = None  # timeout, redirect_loop, too_large, binary, charset, parse …


@dataclass
class LinkRef:
    """Where a link target was seen: the first page, whether the home page links it, how often."""

    found_on: str
    text: str
    on_home: bool = False
    count: int = 0


@dataclass
class LinkStatus:
    url: str
    status: int | None
    error: str | None
    message: str | None
    checked_at: str
    external: bool


@dataclass
class CrawlResult:
    start_url: str
    started_at: str
    finished_at: str = ""
    elapsed: float = 0.0
    pages: dict[str, PageRecord] = field(default_factory=dict)
    refs: dict[str, LinkRef] = field(default_factory=dict)
    link_status: dict[str, LinkStatus] = field(default_factory=dict)
    errors: list[dict[str, object]] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    skipped_examples: dict[str, list[str]] = field(default_factory=dict)
    not_checked: dict[str, str] = field(default_factory=dict)  # url -> reason
    redirects: dict[str, str] = field(default_factory=dict)
    hosts: list[str] = field(default_factory=list)  # hosts crawled, including one the home page moved to
    # Later pages of paginated lists -> the list's first page (the column); they are not columns themselves.
    list_pages: dict[str, str] = field(default_factory=dict)

    @property
    def home(self) -> PageRecord | None:
        return self.pages.get(self.start_url)


def _is_ip(netloc: str) -> bool:
    host = netloc.rsplit(":", 1)[0].strip("[]") if not netloc.endswith("]") else netloc.strip("[]")
    return host.replace(".", "").isdigit() or ":" in host or host == "localhost"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class _HostGate:
    """Per-host concurrency limit and minimum spacing between requests."""

    def __init__(self, per_host: int, delay: float) -> None:
        self._sem = threading.Semaphore(per_host)
        self._lock = threading.Lock()
        self._next = 0.0
        self._delay = delay

    def __enter__(self) -> None:
        self._sem.acquire()
        with self._lock:
            now = time.monotonic()
            wait = self._next - now
            self._next = max(now, self._next) + self._delay
        if wait > 0:
            time.sleep(wait)

    def __exit__(self, *exc: object) -> None:
        self._sem.release()


class Crawler:
    def __init__(self, config: CrawlConfig) -> None:
        self.config = config
        self.fetcher = Fetcher(
            timeout=config.timeout,
            max_bytes=config.max_bytes,
            max_redirects=config.max_redirects,
            user_agent=config.user_agent,
            verify_tls=config.verify_tls,
        )
        self._gates: dict[str, _HostGate] = {}
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}
        self._lock = threading.Lock()
        self._patterns: Counter[str] = Counter()
        self._seen: set[str] = set()
        self._scope: set[str] = set(config.scope)

    # --- politeness -------------------------------------------------------------------------
    def _gate(self, url: str) -> _HostGate:
        netloc = netloc_of(url)
        with self._lock:
            gate = self._gates.get(netloc)
            if gate is None:
                gate = self._gates[netloc] = _HostGate(self.config.per_host, self.config.delay)
            return gate

    def _fetch(
        self,
        url: str,
        *,
        want_body: bool = True,
        any_type: bool = False,
        allow: Callable[[str], bool] | None = None,
        stop_at: Callable[[str], bool] | None = None,
    ) -> Response:
        with self._gate(url):
            return self.fetcher.fetch(
                url, want_body=want_body, any_type=any_type, allow=allow or self.in_scope, stop_at=stop_at
            )

    def _may_check(self, url: str) -> bool:
        """Redirect targets a status-only check may follow (never off loopback under "loopback")."""
        if self.config.external == "check":
            return True
        if self.config.external == "loopback":
            return self.in_scope(url) or is_loopback_host(host_of(url))
        return self.in_scope(url)

    def in_scope(self, url: str) -> bool:
        return netloc_of(url) in self._scope

    def _home_redirect_ok(self, url: str) -> bool:
        # The start page may move to another host (http://x.gov.cn -> https://www.x.gov.cn, a new domain):
        # that host is the site. Under the loopback policy only loopback hosts, so tests stay on the machine.
        if self.config.external == "loopback":
            return self.in_scope(url) or is_loopback_host(host_of(url))
        return True

    def _robots_for(self, url: str, result: CrawlResult) -> urllib.robotparser.RobotFileParser | None:
        scheme_netloc = url.split("/", 3)[:3]
        key = "/".join(scheme_netloc)
        with self._lock:
            if key in self._robots:
                return self._robots[key]
        robots_url = key + "/robots.txt"
        resp = self._fetch(robots_url, any_type=True)
        parser: urllib.robotparser.RobotFileParser | None = urllib.robotparser.RobotFileParser(robots_url)
        assert parser is not None
        if resp.error is None and resp.status is not None and 200 <= resp.status < 300:
            text = resp.body.decode("utf-8", "replace") if resp.body else ""
            parser.parse(text.splitlines())
        elif resp.status is not None and 400 <= resp.status < 500:
            parser.parse([])  # RFC 9309: no robots.txt means no restriction
        else:
            # RFC 9309: robots.txt unreachable (5xx, network) means assume complete disallow.
            parser.parse(["User-agent: *", "Disallow: /"])
            result.errors.append(
                {
                    "url": robots_url,
                    "found_on": None,
                    "kind": "robots",
                    "status": resp.status,
                    "message": "robots.txt 无法读取，按规范不抓取该主机："
                    + (resp.message or f"状态 {resp.status}"),
                    "time": _now(),
                }
            )
        with self._lock:
            self._robots[key] = parser
        delay = parser.crawl_delay(self.config.user_agent) if parser else None
        if delay:
            gate = self._gate(url)
            gate._delay = max(gate._delay, min(float(delay), 30.0))  # noqa: SLF001
        return parser

    def _allowed_by_robots(self, url: str, result: CrawlResult) -> bool:
        if not self.config.obey_robots:
            return True
        parser = self._robots_for(url, result)
        return parser is None or parser.can_fetch(self.config.user_agent, url)

    # --- crawl ------------------------------------------------------------------------------
    def _skip(self, result: CrawlResult, reason: str, url: str) -> None:
        result.skipped[reason] += 1
        examples = result.skipped_examples.setdefault(reason, [])
        if len(examples) < 5:
            examples.append(url)

    def _admit(self, url: str, result: CrawlResult) -> bool:
        """Trap filter for a page URL about to be queued."""
        reason = trap_reason(url)
        if reason:
            self._skip(result, reason, url)
            return False
        pattern = url_pattern(url)
        calendar = is_calendar_url(url)
        if calendar or "?" in url:
            self._patterns[pattern] += 1
            limit = self.config.calendar_limit if calendar else self.config.pattern_limit
            if self._patterns[pattern] > limit:
                self._skip(result, "日历陷阱" if calendar else "查询参数组合过多", url)
                return False
        return True

    def _load(self, url: str, depth: int, found_on: str | None) -> PageRecord:
        # A redirect to a page already fetched or queued stops there: each page is fetched once.
        allow = self._home_redirect_ok if depth == 0 else None
        resp = self._fetch(url, stop_at=self._seen.__contains__, allow=allow)
        record = PageRecord(
            url=url,
            final_url=resp.final_url,
            status=resp.status,
            depth=depth,
            found_on=found_on,
            elapsed=round(resp.elapsed, 3),
            fetched_at=_now(),
        )
        if resp.error:
            record.error_kind, record.error = resp.error, resp.message or resp.error
            return record
        if resp.status is None or not 200 <= resp.status < 300 or not resp.is_html:
            return record
        try:
            decoded = decode_html(resp.body, resp.content_type)
            record.encoding = decoded.encoding
            record.info = parse_page(resp.final_url, decoded.text, home=(depth == 0))
            if decoded.problem:
                record.error_kind, record.error = "charset", decoded.problem
        except Exception as exc:  # a parser crash on a hostile page is a crawl error, not a crash
            record.error_kind, record.error = "parse", f"页面无法解析：{type(exc).__name__}"
        return record

    def crawl(self) -> CrawlResult:
        cfg = self.config
        started = time.monotonic()
        result = CrawlResult(start_url=cfg.start_url, started_at=_now())
        seen: set[str] = {cfg.start_url}
        self._seen = seen  # read by worker threads (redirect targets), written by this thread only
        # (url, found on, depth): a list's later pages keep the depth of its first page.
        level: list[tuple[str, str | None, int]] = [(cfg.start_url, None, 0)]
        list_counts: Counter[str] = Counter()  # column first page -> pages queued
        to_check: dict[str, bool] = {}  # link targets to check by status only -> external?
        with ThreadPoolExecutor(max_workers=max(1, cfg.workers), thread_name_prefix="inspect") as pool:
            depth = 0
            while level and len(result.pages) < cfg.max_pages:
                level.sort()
                admitted = []
                for url, found_on, page_depth in level:
                    if not self._allowed_by_robots(url, result):
                        self._skip(result, "robots.txt 禁止", url)
                        result.not_checked[url] = "robots.txt 禁止抓取"
                        continue
                    admitted.append((url, found_on, page_depth))
                budget = cfg.max_pages - len(result.pages)
                for url, _, _ in admitted[budget:]:
                    self._skip(result, "超出页面数上限", url)
                    result.not_checked[url] = "超出页面数上限，未抓取"
                admitted = admitted[:budget]
                records = pool.map(lambda item: self._load(item[0], item[2], item[1]), admitted)
                next_level: list[tuple[str, str | None, int]] = []
                for record in records:
                    result.pages[record.url] = record
                    if depth == 0 and record.info is not None and not self.in_scope(record.final_url):
                        moved = netloc_of(record.final_url)
                        self._scope.add(moved)
                        result.errors.append(
                            {
                                "url": record.url,
                                "found_on": None,
                                "kind": "home_moved",
                                "status": record.status,
                                "message": f"首页重定向到 {record.final_url}，该主机一并纳入检查范围",
                                "time": record.fetched_at,
                            }
                        )
                    self._after_page(record, result)
                    if record.final_url != record.url:
                        result.redirects[record.url] = record.final_url
                        seen.add(record.final_url)
                    if record.info is None:
                        continue
                    is_home = record.depth == 0
                    # Pagination first: these links are pages of this column, not new columns nor traps,
                    # bounded per column instead of by the URL-pattern limits.
                    root = result.list_pages.get(record.url, record.url)
                    for alias in record.info.first_page:
                        # /col/x/index.html when the column was entered as /col/x/: the same first page,
                        # not fetched again and not a column of its own.
                        if alias not in seen and self.in_scope(alias):
                            seen.add(alias)
                            result.list_pages[alias] = root
                    for target in record.info.paging:
                        if not self.in_scope(target):
                            continue
                        if target in seen:
                            # Already queued as an ordinary link: still a page of this list, not a column.
                            if (
                                target != root
                                and target not in list_counts
                                and target not in result.list_pages
                            ):
                                result.list_pages[target] = root
                            continue
                        if list_counts[root] + 1 >= cfg.max_list_pages:
                            # Marked seen so the same link is not crawled as an ordinary page either.
                            seen.add(target)
                            self._skip(result, "栏目分页超出上限", target)
                            result.not_checked[target] = "栏目分页超出上限，未抓取"
                            continue
                        if trap_reason(target):
                            continue  # left to the ordinary link handling below
                        seen.add(target)
                        list_counts[root] += 1
                        if target not in result.refs:  # spelled from a script or a page range, not a link
                            result.refs[target] = LinkRef(record.url, "分页")
                        result.list_pages[target] = root
                        next_level.append((target, record.url, record.depth))
                    record.info.paging, record.info.first_page = [], []  # queued; a long pager is not kept
                    for link in record.info.links:
                        ref = result.refs.get(link.url)
                        if ref is None:
                            ref = result.refs[link.url] = LinkRef(record.url, link.text)
                        ref.count += 1
                        ref.on_home = ref.on_home or is_home
                        if link.url in seen:
                            continue
                        seen.add(link.url)
                        if not self.in_scope(link.url):
                            to_check[link.url] = True
                        elif link.is_resource or record.depth + 1 > cfg.max_depth:
                            to_check[link.url] = False
                        elif self._admit(link.url, result):
                            next_level.append((link.url, record.url, record.depth + 1))
                        else:
                            result.not_checked[link.url] = "疑似抓取陷阱，未抓取"
                    if record.depth >= 2:
                        # Bounded memory: deep pages repeat the site navigation; columns are named from
                        # the navigation of the home page and first-level pages.
                        record.info.links = [lk for lk in record.info.links if lk.area == "content"]
                    if cfg.progress:
                        cfg.progress(len(result.pages), len(next_level))
                level = next_level
                depth += 1
            for url, _found_on, _depth in level:  # queued when the page limit was reached
                result.not_checked.setdefault(url, "超出页面数上限，未抓取")
            self._check_links(pool, to_check, result)
        self._resolve_redirect_chains(result)
        self.fetcher.close()
        result.hosts = sorted(self._scope)
        result.finished_at = _now()
        result.elapsed = round(time.monotonic() - started, 3)
        return result

    def _resolve_redirect_chains(self, result: CrawlResult) -> None:
        """A redirect stopped at an already-known page may still be a loop across pages (a -> b -> a)."""
        for url in sorted(result.pages):
            rec = result.pages[url]
            if rec.error_kind or rec.info is not None or rec.status not in (301, 302, 303, 307, 308):
                continue
            chain = [url]
            cur = rec
            while cur.final_url != cur.url and cur.final_url in result.pages and len(chain) < 20:
                nxt = cur.final_url
                if nxt in chain:
                    rec.error_kind, rec.error = "redirect_loop", "重定向循环：" + " → ".join([*chain, nxt])
                    self._after_page(rec, result)
                    break
                chain.append(nxt)
                cur = result.pages[nxt]

    def _after_page(self, record: PageRecord, result: CrawlResult) -> None:
        if record.error:
            result.errors.append(
                {
                    "url": record.url,
                    "found_on": record.found_on,
                    "kind": record.error_kind,
                    "status": record.status,
                    "message": record.error,
                    "time": record.fetched_at,
                }
            )

    def _check_links(self, pool: ThreadPoolExecutor, to_check: dict[str, bool], result: CrawlResult) -> None:
        cfg = self.config
        todo: list[tuple[str, bool]] = []
        for url, external in sorted(to_check.items()):
            if external:
                if cfg.external == "none":
                    result.not_checked[url] = "外部链接，未检查"
                    continue
                if cfg.external == "loopback" and not is_loopback_host(host_of(url)):
                    result.not_checked[url] = "外部链接（非本机地址），未检查"
                    continue
            todo.append((url, external))
        for url, _ in todo[cfg.max_link_checks :]:
            result.not_checked[url] = "超出链接检查数上限，未检查"
        todo = todo[: cfg.max_link_checks]

        def check(item: tuple[str, bool]) -> LinkStatus:
            url, external = item
            resp = self._fetch(url, want_body=False, allow=self._may_check)
            return LinkStatus(url, resp.status, resp.error, resp.message, _now(), external)

        for status in pool.map(check, todo):
            result.link_status[status.url] = status


def crawl_site(config: CrawlConfig) -> CrawlResult:
    return Crawler(config).crawl()


def iter_pages(result: CrawlResult) -> Iterable[PageRecord]:
    return (result.pages[u] for u in sorted(result.pages))
