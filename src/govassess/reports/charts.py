"""Charts for the documents, drawn by matplotlib (Agg, no display) with an installed CJK font.

Each function takes the report model's figures and returns PNG bytes. The font is looked up once among
the fonts matplotlib knows (Noto CJK, installed by scripts/setup.sh --full, first); without any CJK font
:func:`cjk_font` returns None and the documents are written without charts (the command says so), rather
than with boxes in place of every Chinese character.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

PREFERRED = ("Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Micro Hei",
             "WenQuanYi Zen Hei", "SimHei", "Microsoft YaHei", "SimSun", "Noto Sans CJK JP")
DPI = 150


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family name of an installed font with Chinese glyphs, or None."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    for name in PREFERRED:
        if name in names:
            return name
    for name in sorted(names):
        if "CJK" in name or "Hei" in name or "Song" in name:
            return name
    return None


def _figure(width: float, height: float) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    font = cjk_font()
    plt.rcParams["font.family"] = [font] if font else ["sans-serif"]
    plt.rcParams["axes.unicode_minus"] = False  # the CJK fonts lack U+2212
    fig, ax = plt.subplots(figsize=(width, height))
    return fig, ax


def _png(fig: Any) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=DPI)
    plt.close(fig)
    return buf.getvalue()


def ranking_bar(labels: Sequence[str], scores: Sequence[float], title: str, average: float | None) -> bytes:
    """Horizontal bars, best at the top, with the class average as a dashed line."""
    n = len(labels)
    fig, ax = _figure(6.3, max(2.2, 0.28 * n + 1.0))
    ys = list(range(n))[::-1]
    ax.barh(ys, scores, color="#3b6ea8", height=0.65)
    ax.set_yticks(ys, labels, fontsize=7 if n > 20 else 9)
    for y, s in zip(ys, scores, strict=True):
        ax.text(s, y, f" {s:.2f}", va="center", fontsize=7)
    if average is not None:
        ax.axvline(average, color="#c0392b", linestyle="--", linewidth=1)
        ax.text(average, n - 0.4, f"平均 {average:.2f}", color="#c0392b", fontsize=8, ha="left")
    ax.set_xlim(0, max([*scores, 1.0]) * 1.12)
    ax.set_xlabel("总分")
    ax.set_title(title, fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def distribution(scores: Sequence[float], title: str, scale: float) -> bytes:
    """Units per 10-point band of the total (0–10, …, 90–100 on a 100-point scale)."""
    fig, ax = _figure(6.3, 3.0)
    step = scale / 10
    edges = [i * step for i in range(11)]
    counts = [0] * 10
    for s in scores:
        counts[min(9, max(0, int(s // step)))] += 1
    labels = [f"{edges[i]:g}–{edges[i + 1]:g}" for i in range(10)]
    ax.bar(range(10), counts, color="#3b6ea8")
    ax.set_xticks(range(10), labels, fontsize=8, rotation=30)
    for i, c in enumerate(counts):
        if c:
            ax.text(i, c, str(c), ha="center", va="bottom", fontsize=8)
    ax.set_ylabel("单位数")
    ax.set_title(title, fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def heat_map(units: Sequence[str], indicators: Sequence[str], rates: Sequence[Sequence[float | None]],
             title: str) -> bytes:
    """Units × first-level indicators, coloured by the share of the indicator's points obtained."""
    import numpy as np

    n = len(units)
    fig, ax = _figure(6.3, max(2.5, 0.26 * n + 1.4))
    data = np.array([[np.nan if v is None else v for v in row] for row in rates], dtype=float)
    image = ax.imshow(data, aspect="auto", cmap="RdYlGn", vmin=0, vmax=1)
    ax.set_xticks(range(len(indicators)), indicators, fontsize=8)
    ax.set_yticks(range(n), units, fontsize=7 if n > 20 else 8)
    if n <= 30:
        for i in range(n):
            for j in range(len(indicators)):
                if not np.isnan(data[i, j]):
                    ax.text(j, i, f"{data[i, j] * 100:.0f}%", ha="center", va="center", fontsize=6)
    fig.colorbar(image, ax=ax, label="得分率")
    ax.set_title(title, fontsize=11)
    return _png(fig)


def change_bar(labels: Sequence[str], changes: Sequence[float], title: str) -> bytes:
    n = len(labels)
    fig, ax = _figure(6.3, max(2.2, 0.28 * n + 1.0))
    ys = list(range(n))[::-1]
    ax.barh(ys, changes, color=["#2e8b57" if c >= 0 else "#c0392b" for c in changes], height=0.65)
    ax.set_yticks(ys, labels, fontsize=7 if n > 20 else 9)
    ax.axvline(0, color="#555555", linewidth=0.8)
    ax.set_xlabel("总分变化")
    ax.set_title(title, fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def radar(axes: Sequence[str], unit: Sequence[float], average: Sequence[float], unit_label: str) -> bytes:
    """Score rate per first-level indicator: the unit against its class average (0–100 %)."""
    import math

    import matplotlib.pyplot as plt

    font = cjk_font()
    plt.rcParams["font.family"] = [font] if font else ["sans-serif"]
    plt.rcParams["axes.unicode_minus"] = False
    n = len(axes)
    angles = [2 * math.pi * i / n for i in range(n)]
    fig = plt.figure(figsize=(4.6, 3.8))
    ax = fig.add_subplot(projection="polar")
    closed = [*angles, angles[0]]
    ax.plot(closed, [*unit, unit[0]], color="#3b6ea8", linewidth=1.6, label=unit_label)
    ax.fill(closed, [*unit, unit[0]], color="#3b6ea8", alpha=0.2)
    ax.plot(closed, [*average, average[0]], color="#c0392b", linewidth=1.2, linestyle="--", label="同类平均")
    ax.set_xticks(angles, axes, fontsize=8)
    ax.set_ylim(0, 100)
    ax.set_yticks([25, 50, 75, 100], ["25%", "50%", "75%", "100%"], fontsize=6)
    ax.legend(loc="upper right", bbox_to_anchor=(1.35, 1.12), fontsize=8)
    return _png(fig)
