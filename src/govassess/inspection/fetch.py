"""HTTP fetching with the standard library: keep-alive per thread and host, manual redirects,
timeouts and size limits. Every failure becomes a :class:`Response` with ``error`` set; nothing
raised here reaches the crawler.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from govassess.inspection.urls import normalize_url

HTML_TYPES = ("text/html", "application/xhtml+xml")
# Magic numbers of binary files that sites sometimes serve as text/html.
_BINARY_MAGIC = (b"\x89PNG", b"%PDF", b"PK\x03\x04", b"GIF8", b"\xff\xd8\xff", b"\xd0\xcf\x11\xe0", b"Rar!")


@dataclass
class Response:
    url: str  # the URL asked for
    final_url: str  # after redirects
    status: int | None = None
    content_type: str = ""
    body: bytes = b""
    elapsed: float = 0.0
    error: str | None = None  # error kind, e.g. "timeout"
    message: str | None = None  # user-facing explanation in Chinese
    redirects: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 400

    @property
    def is_html(self) -> bool:
        return self.content_type.split(";")[0].strip().lower() in HTML_TYPES or not self.content_type


def _size(n: int) -> str:
    return f"{n / 1_000_000:g} MB" if n >= 1_000_000 else f"{n / 1000:g} KB"


class _TooLarge(Exception):
    pass


class Fetcher:
    """Fetches URLs; one keep-alive connection per (thread, scheme, host)."""

    def __init__(
        self,
        *,
        timeout: float = 15.0,
        max_bytes: int = 5_000_000,
        max_redirects: int = 5,
        user_agent: str = "govassess-inspector/0.1 (+https://github.com/govassess)",
        verify_tls: bool = True,
    ) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.user_agent = user_agent
        self._local = threading.local()
        self._tls = ssl.create_default_context() if verify_tls else ssl._create_unverified_context()  # noqa: SLF001

    def _conn(self, scheme: str, netloc: str) -> http.client.HTTPConnection:
        conns = self._local.__dict__.setdefault("conns", {})
        key = (scheme, netloc)
        conn = conns.get(key)
        if conn is None:
            if scheme == "https":
                conn = http.client.HTTPSConnection(netloc, timeout=self.timeout, context=self._tls)
            else:
                conn = http.client.HTTPConnection(netloc, timeout=self.timeout)
            conns[key] = conn
        return conn

    def _drop(self, scheme: str, netloc: str) -> None:
        conns = self._local.__dict__.get("conns", {})
        conn = conns.pop((scheme, netloc), None)
        if conn is not None:
            conn.close()

    def close(self) -> None:
        for conn in self._local.__dict__.get("conns", {}).values():
            conn.close()
        self._local.__dict__["conns"] = {}

    def fetch(
        self,
        url: str,
        *,
        want_body: bool = True,
        any_type: bool = False,
        allow: Callable[[str], bool] | None = None,
        stop_at: Callable[[str], bool] | None = None,
    ) -> Response:
        """GET ``url`` following redirects. ``allow`` vets each redirect target before it is fetched;
        a target for which ``stop_at`` is true (e.g. already fetched) ends the chain without error."""
        start = time.monotonic()
        resp = Response(url=url, final_url=url)
        seen = {url}
        current = url
        for _hop in range(self.max_redirects + 1):
            self._get_once(
                current, resp, want_body=want_body, any_type=any_type, deadline=start + self.timeout * 2
            )
            resp.final_url = current
            if resp.error or resp.status not in (301, 302, 303, 307, 308):
                break
            location = resp.headers.get("location")
            target = normalize_url(location, current) if location else None
            if not target:
                resp.error, resp.message = "bad_redirect", "重定向缺少有效的目标地址"
                break
            if target in seen:
                resp.error, resp.message = "redirect_loop", f"重定向循环：{current} → {target}"
                break
            resp.redirects.append(target)
            seen.add(target)
            if stop_at is not None and stop_at(target):
                resp.final_url = target
                break
            if allow is not None and not allow(target):
                resp.final_url = target
                resp.error, resp.message = "redirect_out", f"重定向到检查范围之外：{target}"
                break
            current = target
        else:
            resp.error, resp.message = "too_many_redirects", f"重定向超过 {self.max_redirects} 次"
        resp.elapsed = time.monotonic() - start
        return resp

    def _get_once(
        self, url: str, resp: Response, *, want_body: bool, any_type: bool, deadline: float
    ) -> None:
        parts = urlsplit(url)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        headers = {
            "User-Agent": self.user_agent,
            "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
            "Accept-Encoding": "gzip, deflate",
            "Accept-Language": "zh-CN,zh;q=0.9",
        }
        resp.body, resp.status, resp.content_type, resp.headers = b"", None, "", {}
        for attempt in (1, 2):  # a kept-alive connection the server already closed gets one retry
            conn = self._conn(parts.scheme, parts.netloc)
            try:
                conn.request("GET", path, headers=headers)
                r = conn.getresponse()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                self._drop(parts.scheme, parts.netloc)
                if attempt == 2:
                    resp.error, resp.message = "connection", f"连接被断开：{exc}"
                    return
            except TimeoutError:
                self._drop(parts.scheme, parts.netloc)
                resp.error, resp.message = "timeout", f"{self.timeout:g} 秒内无响应"
                return
            except ssl.SSLError as exc:
                self._drop(parts.scheme, parts.netloc)
                resp.error, resp.message = "tls", f"HTTPS 证书或握手错误：{exc.reason or exc}"
                return
            except (OSError, http.client.HTTPException, ValueError) as exc:
                self._drop(parts.scheme, parts.netloc)
                kind = "dns" if isinstance(exc, socket.gaierror) else "connection"
                resp.error, resp.message = kind, f"无法连接：{exc}"
                return
        resp.status = r.status
        resp.headers = {k.lower(): v for k, v in r.getheaders()}
        resp.content_type = resp.headers.get("content-type", "")
        is_redirect = r.status in (301, 302, 303, 307, 308)
        ctype = resp.content_type.split(";")[0].strip().lower()
        wrong_type = bool(ctype) and ctype not in HTML_TYPES and not any_type
        if is_redirect or not want_body or wrong_type or r.status >= 400:
            # Status is all that is needed: do not download attachments or error bodies.
            self._drop(parts.scheme, parts.netloc)
            return
        try:
            resp.body = self._read(r, deadline)
        except _TooLarge:
            self._drop(parts.scheme, parts.netloc)
            resp.error, resp.message = "too_large", f"页面超过 {_size(self.max_bytes)} 上限，未解析"
            return
        except TimeoutError:
            self._drop(parts.scheme, parts.netloc)
            resp.error, resp.message = "timeout", f"{self.timeout:g} 秒内未传完页面"
            return
        except (OSError, http.client.HTTPException, zlib.error) as exc:
            self._drop(parts.scheme, parts.netloc)
            resp.error, resp.message = "read", f"读取页面出错：{exc}"
            return
        if r.will_close:
            self._drop(parts.scheme, parts.netloc)
        if not any_type and (resp.body.startswith(_BINARY_MAGIC) or b"\x00" in resp.body[:2048]):
            resp.error, resp.message = "binary", "以网页类型返回了二进制文件"

    def _read(self, r: http.client.HTTPResponse, deadline: float) -> bytes:
        length = r.getheader("content-length")
        if length and length.isdigit() and int(length) > self.max_bytes:
            raise _TooLarge
        encoding = (r.getheader("content-encoding") or "").lower()
        decomp = None
        if encoding in ("gzip", "x-gzip"):
            decomp = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            decomp = zlib.decompressobj()
        chunks: list[bytes] = []
        total = 0
        while True:
            if time.monotonic() > deadline:
                raise TimeoutError
            chunk = r.read(65536)
            if not chunk:
                break
            if decomp is not None:
                # max_length bounds a decompression bomb.
                chunk = decomp.decompress(chunk, self.max_bytes + 1 - total)
            total += len(chunk)
            if total > self.max_bytes:
                raise _TooLarge
            chunks.append(chunk)
        return b"".join(chunks)
