"""Decoding Chinese web pages whether or not their charset is declared, or declared wrongly.

Order: byte-order mark, the HTTP header, the <meta> declaration, then trial decoding (UTF-8, then
GB18030). GBK and GB2312 are decoded as GB18030, their superset, so a page declared GB2312 that
uses a GBK-only character still decodes. A declaration that does not decode strictly is reported.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_HEADER = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-:.]+)", re.I)
_SUPERSET = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "gb18030": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
}
# Declarations that decode any byte string and so prove nothing: try the Chinese encodings first.
_PERMISSIVE = {"latin-1", "iso8859-1", "cp1252", "ascii"}


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    declared: str | None
    problem: str | None  # a user-facing note when the declaration was wrong or nothing decoded cleanly


def _canonical(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().lower()
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    return _SUPERSET.get(name, _SUPERSET.get(codec, codec))


def header_charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    m = _HEADER.search(content_type)
    return m.group(1) if m else None


def meta_charset(body: bytes) -> str | None:
    m = _META.search(body[:4096])
    return m.group(1).decode("ascii", "replace") if m else None


def decode_html(body: bytes, content_type: str | None = None) -> Decoded:
    if body.startswith(codecs.BOM_UTF8):
        return Decoded(body[3:].decode("utf-8", "replace"), "utf-8", "BOM", None)
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return Decoded(body.decode("utf-16", "replace"), "utf-16", "BOM", None)
    declared_header = header_charset(content_type)
    declared_meta = meta_charset(body)
    declared = declared_header or declared_meta
    candidates: list[str] = []
    for name in (_canonical(declared_header), _canonical(declared_meta)):
        if name and name not in candidates and name not in _PERMISSIVE:
            candidates.append(name)
    for name in ("utf-8", "gb18030"):
        if name not in candidates:
            candidates.append(name)
    for name in (_canonical(declared_header), _canonical(declared_meta)):
        if name in _PERMISSIVE and name not in candidates:
            candidates.append(name)
    for name in candidates:
        try:
            text = body.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
        problem = None
        declared_ok = {c for c in (_canonical(declared_header), _canonical(declared_meta)) if c}
        if declared and name not in declared_ok and not (name == "utf-8" and body.isascii()):
            problem = f"声明的字符编码为 {declared}，实际按 {name} 解码"
        return Decoded(text, name, declared, problem)
    fallback = candidates[0]
    return Decoded(
        body.decode(fallback, "replace"),
        fallback,
        declared,
        f"无法按任何编码完整解码，已按 {fallback} 容错解码",
    )
