"""Argument types shared by every subcommand's options."""

from __future__ import annotations

import argparse
import math
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
