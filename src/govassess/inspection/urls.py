"""URL normalisation, scope and crawler-trap detection.

Two URLs that a browser would treat as the same page must normalise to one string, so a page is
fetched once and a finding names one URL. Traps (calendars, session ids, endless query strings)
are URLs a site can generate without end; they are skipped and counted, never followed.
"""

from __future__ import annotations

import functools
import ipaddress
import posixpath
import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

# Query parameters that only identify a session or a campaign: dropped so they do not multiply pages.
SESSION_PARAMS = frozenset(
    {
        "jsessionid",
        "phpsessid",
        "sessionid",
        "sid",
        "session_id",
        "aspsessionid",
        "cfid",
        "cftoken",
        "_t",
        "t",
    }
)
DROP_PREFIXES = ("utm_", "aspsessionid")
_PATH_SESSION = re.compile(r";(jsessionid|sessionid|sid)=[^/?#]*", re.I)
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Query keys and path words that mark a calendar or archive-by-date generator.
CALENDAR_KEYS = frozenset({"year", "month", "day", "date", "y", "m", "d", "cal", "calendar", "ym", "riqi"})
_CALENDAR_PATH = re.compile(r"(calendar|rili|/\d{4}-\d{1,2}-\d{1,2}(/|$)|[?&](year|month|date)=)", re.I)
_DIGITS = re.compile(r"\d+")
_SAFE_PATH = "/:@!$&'()*+,;=-._~%"


def _requote(part: str, safe: str) -> str:
    # Unquote then quote, so %7e and ~ and a raw 中文 path all end up in one canonical spelling.
    return quote(unquote(part), safe=safe)


def normalize_url(url: str, base: str | None = None) -> str | None:
    """Absolute, canonical form of ``url`` (resolved against ``base``), or None when not a web URL."""
    url = url.strip().replace("\\", "/")
    if not url or url.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
        return None
    if base:
        if url.startswith("/") and not url.startswith("//"):
            # Site-absolute links (most of a page's navigation): join by hand, then hit the cache.
            parts = urlsplit(base)
            url = f"{parts.scheme}://{parts.netloc}{url}"
        elif not url.lower().startswith(("http://", "https://")):
            from urllib.parse import urljoin

            try:
                url = urljoin(base, url)
            except ValueError:
                return None
    return _normalize_absolute(url)


@functools.lru_cache(maxsize=65536)
def _normalize_absolute(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            return None
        host = (parts.hostname or "").lower().rstrip(".")
        if not host:
            return None
        port = parts.port
    except ValueError:
        return None
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        return None
    netloc = host if ":" not in host else f"[{host}]"
    if port and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    path = _PATH_SESSION.sub("", parts.path) or "/"
    # Resolve . and .. the way browsers do; keep a trailing slash because /a/ and /a differ on many servers.
    trailing = path.endswith("/")
    path = posixpath.normpath(path)
    if path.startswith("//"):
        path = "/" + path.lstrip("/")
    if trailing and not path.endswith("/"):
        path += "/"
    path = _requote(path, _SAFE_PATH)
    query_items = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in SESSION_PARAMS and not k.lower().startswith(DROP_PREFIXES)
    ]
    query = urlencode(sorted(query_items), doseq=True)
    return urlunsplit((scheme, netloc, path, query, ""))


def netloc_of(url: str) -> str:
    return urlsplit(url).netloc.lower()


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def is_loopback_host(host: str) -> bool:
    """True for names that never leave the machine (used to keep tests and benchmarks on loopback)."""
    if host in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def url_pattern(url: str) -> str:
    """The URL with digits folded and query values dropped: pages of one generator share a pattern."""
    parts = urlsplit(url)
    keys = ",".join(sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)}))
    return f"{parts.netloc}{_DIGITS.sub('N', parts.path)}?{keys}"


def trap_reason(url: str, *, max_length: int = 400, max_params: int = 6, max_depth: int = 12) -> str | None:
    """Why ``url`` looks like a crawler trap by its shape alone, or None."""
    if len(url) > max_length:
        return "网址过长"
    parts = urlsplit(url)
    params = parse_qsl(parts.query, keep_blank_values=True)
    if len(params) > max_params:
        return "查询参数过多"
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) > max_depth:
        return "路径层级过深"
    # /a/b/a/b/a/b: relative links that keep appending the same segments.
    for size in (1, 2, 3):
        if len(segments) >= size * 3:
            tail = segments[-size * 3 :]
            if tail[:size] == tail[size : 2 * size] == tail[2 * size :]:
                return "路径重复"
    return None


def is_calendar_url(url: str) -> bool:
    parts = urlsplit(url)
    keys = {k.lower() for k, _ in parse_qsl(parts.query, keep_blank_values=True)}
    return bool(keys & CALENDAR_KEYS) or bool(_CALENDAR_PATH.search(parts.path))
