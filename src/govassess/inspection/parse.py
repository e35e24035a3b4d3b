"""What the inspector reads from one HTML page (selectolax / lexbor).

The page is reduced at once to a small :class:`PageInfo` (links, list entries, dates, markers) and
the HTML is dropped, so memory stays bounded however large the crawl.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from govassess.inspection.urls import normalize_url

_DATE = re.compile(r"((?:19|20)\d{2})\s*[-/年.]\s*(\d{1,2})\s*[-/月.]\s*(\d{1,2})\s*日?")
# Labels before an article's own date; 来源 lines usually share the info bar with it.
_DATE_LABEL = re.compile(r"(发布时间|发布日期|发文日期|成文日期|更新时间|日期|时间)\s*[:：]?\s*")
_SOURCE = re.compile(r"(信息来源|文章来源|稿件来源|来源)\s*[:：]\s*([^\s|｜丨/]{1,40})")
# A 来源 label followed directly by the next label means the source was left blank.
_NOT_A_SOURCE = (
    "作者",
    "浏览",
    "点击",
    "发布",
    "字号",
    "日期",
    "时间",
    "【",
    "[",
    "编辑",
    "责任编辑",
    "阅读",
    "分享",
)
_NAV_HINT = re.compile(r"(^|[\s_-])(nav|menu|daohang|dh|topnav|mainnav|subnav)", re.I)
_FOOTER_HINT = re.compile(r"(^|[\s_-])(foot|footer|bottom|copyright|dibu)", re.I)
_POPUP_HINT = re.compile(r"(piaochuang|piao|float|popup|pop-up|modal|飘窗|floatad|fudong)", re.I)
_CLOSE_HINT = re.compile(r"(close|guanbi|shut|btn-x)", re.I)
_CLOSE_TEXT = re.compile(r"^\s*(×|x|X|✕|✖|关闭|关 闭|close)\s*$")
_SHARE_HOSTS = (
    "service.weibo.com/share",
    "v.t.sina.com.cn/share",
    "sns.qzone.qq.com",
    "connect.qq.com",
    "share.v.t.qq.com",
    "widget.renren.com",
    "bshare.cn",
    "share.baidu.com",
)
_SHARE_CLASS = re.compile(r"(bdshare|bshare|share|fenxiang)", re.I)
_SITEMAP_TEXT = ("网站地图", "站点地图", "网站导航")
_SEARCH_HINT = re.compile(r"(search|sousuo|query|keyword|kw|检索|搜索|q$|searchword)", re.I)
IDENT_CODE = re.compile(r"网站标识码\s*[:：]?\s*([0-9A-Za-z]{10})")
ICP = re.compile(
    r"([京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]\s*ICP\s*备\s*\d+\s*号(?:\s*-\s*\d+)?)",
    re.I,
)
POLICE = re.compile(
    r"([京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]\s*公网安备\s*\d+\s*号)"
)
_EMPTY_MARKERS = ("暂无信息", "暂无数据", "暂无内容", "没有信息", "无相关信息", "暂无记录", "本栏目暂无")
_ATTACHMENT_EXT = re.compile(
    r"\.(pdf|docx?|xlsx?|pptx?|wps|et|zip|rar|7z|jpg|jpeg|png|gif|bmp|mp4|mp3|avi|txt|csv|ofd)$", re.I
)


@dataclass(frozen=True)
class Link:
    url: str
    text: str
    area: str  # "nav", "footer" or "content"
    is_resource: bool  # image, attachment or other non-page target


@dataclass(frozen=True)
class Entry:
    """One item of a list page: a link with a date beside it."""

    url: str
    title: str
    date: dt.date | None


@dataclass
class PageInfo:
    url: str
    title: str = ""
    links: list[Link] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    date: dt.date | None = None  # the article's own date (发布时间 …)
    date_snippet: str = ""
    source: str | None = None  # 信息来源 value, if the page states one
    source_snippet: str = ""
    empty_marker: bool = False
    has_search: bool = False
    sitemap_links: list[str] = field(default_factory=list)
    share_evidence: str | None = None
    popups: list[dict[str, object]] = field(default_factory=list)
    identifiers: dict[str, str] = field(default_factory=dict)
    content_text_len: int = 0
    fingerprint: str = ""  # the home page's list entries, for change detection across runs
    # Other pages of this list (下一页, 2 3 4, createPageHTML) and pager links back to page 1 (index.html).
    paging: list[str] = field(default_factory=list)
    first_page: list[str] = field(default_factory=list)


def parse_date(text: str) -> dt.date | None:
    m = _DATE.search(text)
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _hint(node: LexborNode) -> str:
    attrs = node.attributes
    return f"{attrs.get('class') or ''} {attrs.get('id') or ''}"


def _area_marks(tree: LexborHTMLParser) -> dict[int, str]:
    """Area ("nav" / "footer") of every link and image inside a navigation or footer container.

    One pass over the containers instead of climbing ancestors per link: pages repeat a navigation
    of a hundred links, and climbing made parsing grow with links x depth. Containers come in document
    order, so an inner container (nearest ancestor) overrides an outer one.
    """
    marks: dict[int, str] = {}
    for node in tree.css("nav, footer, [class], [id]"):
        tag = node.tag
        hint = _hint(node)
        if tag == "nav" or _NAV_HINT.search(hint):
            area = "nav"
        elif tag == "footer" or _FOOTER_HINT.search(hint):
            area = "footer"
        else:
            continue
        for inner in node.css("a[href], area[href], img[src]"):
            marks[inner.mem_id] = area
    return marks


def _snippet(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_page(url: str, html: str, *, home: bool = False) -> PageInfo:
    tree = LexborHTMLParser(html)
    info = PageInfo(url=url)
    title_node = tree.css_first("title")
    h1 = tree.css_first("h1")
    info.title = _snippet((h1.text() if h1 else "") or (title_node.text() if title_node else ""), 200)
    base_node = tree.css_first("base[href]")
    base = normalize_url(base_node.attributes.get("href") or "", url) if base_node else None
    base = base or url

    seen: set[str] = set()
    marks = _area_marks(tree)
    for a in tree.css("a[href], area[href]"):
        href = a.attributes.get("href") or ""
        target = normalize_url(href, base)
        text = _snippet(a.text(), 60) or _snippet(a.attributes.get("title") or "", 60)
        if target is None:
            continue
        lowered = href.lower()
        if any(h in lowered for h in _SHARE_HOSTS):
            info.share_evidence = info.share_evidence or _snippet(a.html or "", 160)
            continue  # share endpoints are not links to check
        if any(t in text for t in _SITEMAP_TEXT) or "sitemap" in lowered:
            info.sitemap_links.append(target)
        if target in seen:
            continue
        seen.add(target)
        path = target.split("?")[0]
        info.links.append(
            Link(target, text, marks.get(a.mem_id, "content"), bool(_ATTACHMENT_EXT.search(path)))
        )
    for img in tree.css("img[src]"):
        target = normalize_url(img.attributes.get("src") or "", base)
        if target and target not in seen:
            seen.add(target)
            alt = _snippet(img.attributes.get("alt") or "", 60)
            info.links.append(Link(target, alt, marks.get(img.mem_id, "content"), True))

    _read_entries(tree, info, base, marks)
    _read_script_records(tree, info, base)
    if not home:
        info.paging, info.first_page = _read_paging(tree, info, url)
    body = tree.body
    text = body.text(separator=" ") if body is not None else ""
    info.content_text_len = len(text)
    info.empty_marker = any(m in text for m in _EMPTY_MARKERS)
    _read_article_meta(tree, info, text)
    info.has_search = _has_search(tree)
    if info.share_evidence is None:
        for node in tree.css("[class], [id]"):
            if _SHARE_CLASS.search(_hint(node)):
                info.share_evidence = _snippet(node.html or "", 160)
                break
        else:
            m = re.search(r"分享到\s*[:：]?", text)
            if m:
                info.share_evidence = _snippet(text[m.start() : m.start() + 60])
    if home:
        info.popups = _popups(tree)
        info.identifiers = _identifiers(tree, text)
        info.fingerprint = "\n".join(sorted(f"{e.url} {e.title}" for e in info.entries))
    return info


def _read_entries(tree: LexborHTMLParser, info: PageInfo, base: str, marks: dict[int, str]) -> None:
    """List entries: an <li>, <tr>, <p> or list <div> holding exactly one page link and a date."""
    seen: set[str] = set()
    for item in tree.css(
        "li, tr, dd, dt, p, div[class*=item], div[class*=list] > div, div[class*=news] > div"
    ):
        anchors = item.css("a[href]")
        if len(anchors) != 1:
            continue
        a = anchors[0]
        if marks.get(a.mem_id) == "nav":
            continue
        date = parse_date(item.text(separator=" "))
        if date is None:
            continue
        target = normalize_url(a.attributes.get("href") or "", base)
        if not target or target in seen:
            continue
        seen.add(target)
        title = _snippet(a.attributes.get("title") or a.text(), 100)
        info.entries.append(Entry(target, title, date))


_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)


def _read_script_records(tree: LexborHTMLParser, info: PageInfo, base: str) -> None:
    """List items a common government CMS (大汉 jpage) ships inside <script type="text/xml"> as
    <record><![CDATA[<li>…</li>]]></record> and renders with JavaScript: read them as entries too."""
    for script in tree.css('script[type="text/xml"]'):
        raw = script.text(deep=True) or ""
        if "<record" not in raw:
            continue
        fragment = "".join(_CDATA.findall(raw))
        if not fragment:
            continue
        sub = LexborHTMLParser(f"<html><body><ul>{fragment}</ul></body></html>")
        extra = PageInfo(url=info.url)
        _read_entries(sub, extra, base, {})
        known = {e.url for e in info.entries}
        for entry in extra.entries:
            if entry.url not in known:
                info.entries.append(entry)
                known.add(entry.url)
                info.links.append(Link(entry.url, entry.title, "content", False))


# Pagination of a list page. Link texts a CMS prints in its pager; a number alone counts only when the
# target also looks like a page of this list (index_3.html, ?page=3), so "2024" or "1" in a text does not.
_PAGER_TEXT = re.compile(
    r"^\s*(下一页|下页|后一页|上一页|上页|前一页|尾页|末页|最后一页|首页|第一页|>|>>|<|<<|»|«|\d{1,4})\s*$"
)
_PAGE_FILE = re.compile(r"^(?P<stem>[A-Za-z]+)_(?P<n>\d{1,4})\.(?P<ext>s?html?|jsp|aspx?|php)$", re.I)
_PAGE_KEYS = frozenset(
    {"page", "pageno", "pagenum", "pageindex", "p", "pn", "curpage", "currpage", "pagenumber"}
)
# TRS WCM / 政府网站常见: createPageHTML(countPage, currentPage, "index", "html") renders the pager in
# JavaScript; page 0 is index.html, page i is index_i.html in the same folder.
_CREATE_PAGE = re.compile(
    r"createPageHTML\(\s*['\"]?(\d{1,5})['\"]?\s*,\s*['\"]?\d{1,5}['\"]?\s*,\s*['\"](\w+)['\"]\s*,\s*['\"](\w+)['\"]"
)


def _page_key(url: str) -> tuple[str, str, str] | None:
    """The list a numbered page belongs to (index_3.html, ?page=3), or None if ``url`` has no page number."""
    parts = urlsplit(url)
    params = parse_qsl(parts.query, keep_blank_values=True)
    rest = sorted((k, v) for k, v in params if k.lower() not in _PAGE_KEYS)
    if len(rest) < len(params):
        return (parts.netloc, parts.path, repr(rest))
    folder, _, name = parts.path.rpartition("/")
    m = _PAGE_FILE.match(name)
    if m:
        return (parts.netloc, f"{folder}/{m.group('stem').lower()}", repr(sorted(params)))
    return None


def _list_keys(url: str) -> set[tuple[str, str, str]]:
    """Keys a list's own page may go by: /col/x/ pages as /col/x/?page=2 or as /col/x/index_2.html."""
    key = _page_key(url)
    if key is not None:
        return {key}
    parts = urlsplit(url)
    params = repr(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    folder, _, name = parts.path.rpartition("/")
    stem = name.split(".")[0].lower() if name else "index"
    return {(parts.netloc, parts.path, params), (parts.netloc, f"{folder}/{stem}", params)}


def _read_paging(tree: LexborHTMLParser, info: PageInfo, url: str) -> tuple[list[str], list[str]]:
    """Numbered pages of the list ``url`` is a page of. Links back to the first page (首页 → /col/x/ or
    index.html) are left out: the first page is the column itself, reached before its other pages."""
    own = _list_keys(url)
    found: list[str] = []
    first: list[str] = []
    for link in info.links:
        if link.is_resource or link.url == url or not _PAGER_TEXT.match(link.text):
            continue
        key = _page_key(link.url)
        to_first = link.text.strip() in ("首页", "第一页", "1")
        if key in own and not to_first:
            found.append(link.url)
        elif to_first and (key in own or (key is None and own & _list_keys(link.url))):
            first.append(link.url)  # /col/x/index.html or /col/x/?page=1: the first page again
    for script in tree.css("script"):
        raw = script.text(deep=True) or ""
        if "createPageHTML" not in raw:
            continue
        m = _CREATE_PAGE.search(raw)
        if m:
            count, stem, ext = min(int(m.group(1)), 10_000), m.group(2), m.group(3)
            for i in range(1, count):  # page 0 is the list's own first page
                target = normalize_url(f"{stem}_{i}.{ext}", url)
                if target and target != url:
                    found.append(target)
    return _fill_gaps(list(dict.fromkeys(found)), url), first


def _numbered(url: str) -> tuple[str, int, Callable[[int], str | None]] | None:
    """(style, page number, how to spell page n) of a numbered list page, or None."""
    parts = urlsplit(url)
    params = parse_qsl(parts.query, keep_blank_values=True)
    for i, (k, v) in enumerate(params):
        if k.lower() in _PAGE_KEYS and v.isdigit():

            def query_page(n: int, i: int = i, k: str = k) -> str | None:
                q = list(params)
                q[i] = (k, str(n))
                return normalize_url(urlunsplit(parts._replace(query=urlencode(q))))

            return "query:" + k, int(v), query_page
    folder, _, name = parts.path.rpartition("/")
    m = _PAGE_FILE.match(name)
    if m and m.group("n").isdigit():
        stem, ext = m.group("stem"), m.group("ext")

        def file_page(n: int) -> str | None:
            return normalize_url(urlunsplit(parts._replace(path=f"{folder}/{stem}_{n}.{ext}")))

        return "file:" + stem, int(m.group("n")), file_page
    return None


def _fill_gaps(found: list[str], url: str) -> list[str]:
    """Pagers often show only 下一页 and 尾页 (page 2 and page N): the pages between are spelled the same way,
    so all of them are listed — a broken page 3 then does not hide pages 4..N behind it. Numbers stay within
    those the pager itself printed (never 共N页 alone: lists count from 0 or 1)."""
    spans: dict[str, tuple[int, int, Callable[[int], str | None]]] = {}
    for target in found:
        got = _numbered(target)
        if got is None:
            continue
        style, n, spell = got
        low, high, _ = spans.get(style, (n, n, spell))
        spans[style] = (min(low, n), max(high, n), spell)
    out = list(found)
    for low, high, spell in spans.values():
        for n in range(low, min(high, low + 1000) + 1):  # the crawler's per-column cap bounds it further
            spelled = spell(n)
            if spelled and spelled != url:
                out.append(spelled)
    return list(dict.fromkeys(out))


def _read_article_meta(tree: LexborHTMLParser, info: PageInfo, text: str) -> None:
    # Prefer a labelled date (发布时间：2024-05-01); otherwise the first date of the page's main text.
    for m in _DATE_LABEL.finditer(text):
        date = parse_date(text[m.end() : m.end() + 30])
        if date is not None and _DATE.match(text[m.end() : m.end() + 30].lstrip()):
            info.date = date
            info.date_snippet = _snippet(text[max(0, m.start() - 20) : m.end() + 40])
            break
    src = _SOURCE.search(text)
    if src and info.date is None:
        # No labelled date: the date printed on the 来源 line (来源：xx 2024-06-01) is the article's.
        around = text[max(0, src.start() - 40) : src.end() + 40]
        info.date = parse_date(around)
        if info.date is not None:
            info.date_snippet = _snippet(around)
    if src and not src.group(2).startswith(_NOT_A_SOURCE):
        info.source = src.group(2)
        info.source_snippet = _snippet(text[max(0, src.start() - 30) : src.end() + 20])
    elif info.date_snippet:
        info.source_snippet = info.date_snippet


def _has_search(tree: LexborHTMLParser) -> bool:
    for form in tree.css("form"):
        action = form.attributes.get("action") or ""
        for inp in form.css("input"):
            kind = (inp.attributes.get("type") or "text").lower()
            if kind not in ("text", "search"):
                continue
            hints = " ".join(
                str(inp.attributes.get(k) or "") for k in ("name", "id", "placeholder", "class", "title")
            )
            if kind == "search" or _SEARCH_HINT.search(hints) or _SEARCH_HINT.search(action):
                return True
    for inp in tree.css("input[type=search], input[placeholder]"):
        if (
            _SEARCH_HINT.search(inp.attributes.get("placeholder") or "")
            or inp.attributes.get("type") == "search"
        ):
            return True
    return False


def _popups(tree: LexborHTMLParser) -> list[dict[str, object]]:
    found = []
    for node in tree.css("[class], [id]"):
        if not _POPUP_HINT.search(_hint(node)):
            continue
        # Skip nested matches: the outermost floating element is the pop-up.
        parent = node.parent
        nested = False
        while parent is not None and parent.tag not in ("body", "html"):
            if _POPUP_HINT.search(_hint(parent)):
                nested = True
                break
            parent = parent.parent
        if nested:
            continue
        closable = False
        for child in node.traverse(include_text=False):
            if child is node:
                continue
            if _CLOSE_HINT.search(_hint(child)) or _CLOSE_TEXT.match(child.text(deep=False) or ""):
                closable = True
                break
            if child.tag in ("a", "span", "button", "div", "img") and _CLOSE_TEXT.match(
                child.attributes.get("title") or child.attributes.get("alt") or "-"
            ):
                closable = True
                break
        found.append({"closable": closable, "snippet": _snippet(node.html or "", 200)})
    return found


def _identifiers(tree: LexborHTMLParser, text: str) -> dict[str, str]:
    ids: dict[str, str] = {}
    for name, pattern in (("网站标识码", IDENT_CODE), ("ICP备案号", ICP), ("公安机关备案号", POLICE)):
        m = pattern.search(text)
        if m:
            ids[name] = " ".join(m.group(1).split()) if name != "网站标识码" else m.group(1)
    for node in tree.css("a[href*='conac.cn'], img[src*='dzjg'], img[alt*='党政机关'], img[src*='red.png']"):
        ids["党政机关网站标识"] = _snippet(node.html or "", 160)
        break
    return ids
