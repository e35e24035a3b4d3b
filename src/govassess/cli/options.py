"""Argument types shared by every subcommand's options."""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable


def finite_float(minimum: float | None = None, maximum: float | None = None, *,
                 positive: bool = False) -> Callable[[str], float]:
    """An argparse ``type=`` for a float option: refuses NaN, infinity and values outside the bounds.

    ``float("nan")`` and ``float("inf")`` parse, so a plain ``type=float`` lets ``--timeout nan`` through
    (a timeout that never fires). ``positive`` excludes 0 itself.
    """
    def parse(text: str) -> float:
        try:
            value = float(text.strip().replace("，", "."))
        except ValueError:
            raise argparse.ArgumentTypeError(f"应为数字，实际为 {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"应为有限的数字，实际为 {text!r}（不能是 NaN 或无穷大）")
        if positive and value <= 0:
            raise argparse.ArgumentTypeError(f"应大于 0，实际为 {text}")
        if minimum is not None and value < minimum:
            raise argparse.ArgumentTypeError(f"不能小于 {minimum:g}，实际为 {text}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"不能大于 {maximum:g}，实际为 {text}")
        return value

    parse.__name__ = "数字"
    return parse


_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def hostname(text: str) -> str:
    """An argparse ``type=`` for a host name, optionally with a port (``www.gd.gov.cn``, ``127.0.0.1:8080``,
    ``政府.中国``), lower-cased.

    A host with a space, a scheme or a path would never match a link's host: the crawl would silently
    ignore it, so it is refused here with what is wrong."""
    host = text.strip().rstrip(".").lower()
    if not host or any(ch.isspace() for ch in host):
        raise argparse.ArgumentTypeError(f"主机名「{text}」无效：不能为空或含空格")
    if any(ch in host for ch in "/@?#[]\\"):
        raise argparse.ArgumentTypeError(f"主机名「{text}」无效：只写主机名（可带 :端口），如 www.gd.gov.cn（不带 http:// 或路径）")
    name, sep, port = host.rpartition(":") if host.count(":") == 1 else (host, "", "")
    if sep and not (port.isdigit() and 0 < int(port) < 65536):
        raise argparse.ArgumentTypeError(f"主机名「{text}」无效：端口应为 1–65535 的数字")
    host = name if sep else host
    if any(ch in host for ch in "/:@?#[]\\"):
        raise argparse.ArgumentTypeError(f"主机名「{text}」无效：只写主机名（可带 :端口），如 www.gd.gov.cn（不带 http:// 或路径）")
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise argparse.ArgumentTypeError(f"主机名「{text}」无效：含有主机名中不允许的字符") from None
    if len(ascii_host) > 253 or not all(_HOST_LABEL.match(label) for label in ascii_host.split(".")):
        raise argparse.ArgumentTypeError(f"主机名「{text}」无效：只能由字母、数字、连字符和点组成")
    return f"{host}:{port}" if sep else host
