"""政务信息报送 points (seed 002) as rules-as-data: counts per unit and month come from the engine, the
points are computed here over that small table so the rules stay readable and editable (infowork.yaml)."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from govassess import safe_yaml
from govassess.errors import UserError

from .definitions import Period
from .schemas import INFO_CATEGORIES, MEDIA_LEVELS

MODES = ("threshold", "blocks", "per_item")


@dataclass(frozen=True)
class CountRule:
    at_least: int
    points: float
    mode: str

    def score(self, n: int) -> float:
        if self.mode == "threshold":
            return self.points if n >= self.at_least else 0.0
        if self.mode == "blocks":
            return self.points * (n // self.at_least)
        return self.points * n


@dataclass(frozen=True)
class InfoRules:
    submitted: CountRule
    adopted: CountRule
    category: dict[str, float]
    instructed: float
    media: dict[str, float]
    quarter_points: float
    quarter_deduct: float
    quota_per_month: int
    quota_by_class: dict[str, int]
    consecutive_to_zero: int
    violation_kinds: tuple[str, ...]
    violation_each: float
    floor: float


def load_info_rules(path: Path | None = None) -> InfoRules:
    if path is None:
        text = resources.files("govassess.metrics").joinpath("infowork.yaml").read_text(encoding="utf-8")
        source = "infowork.yaml"
    else:
        source = Path(path).name
        text = safe_yaml.read_text(path, file=source)
    d = safe_yaml.load_yaml(text, file=source)
    try:
        m, p, q = d["monthly"], d["per_item"], d["quarterly"]

        def rule(x: dict[str, Any], where: str) -> CountRule:
            r = CountRule(int(x["at_least"]), float(x["points"]), str(x.get("mode", "threshold")))
            if r.mode not in MODES or r.at_least < 1:
                raise UserError(f"mode 应为 {'/'.join(MODES)}，at_least 至少为 1", file=source, field=where)
            return r

        cats = {str(k): float(v) for k, v in (p.get("category") or {}).items()}
        media = {str(k): float(v) for k, v in (p.get("media") or {}).items()}
        bad = [k for k in cats if k not in INFO_CATEGORIES] + [k for k in media if k not in MEDIA_LEVELS]
        if bad:
            raise UserError(f"未知的采用类别或媒体级别：{'、'.join(bad)}", file=source)
        return InfoRules(
            submitted=rule(m["submitted"], "monthly.submitted"),
            adopted=rule(m["adopted"], "monthly.adopted"),
            category=cats,
            instructed=float(p.get("instructed", 0)),
            media=media,
            quarter_points=float(q["points"]),
            quarter_deduct=float(q["deduct_per_missing"]),
            quota_per_month=int(q["quota_per_month"]),
            quota_by_class={str(k): int(v) for k, v in (q.get("quota_per_month_by_class") or {}).items()},
            consecutive_to_zero=int(d["zero_months"]["consecutive_to_zero"]),
            violation_kinds=tuple(d["violations"]["kinds"]),
            violation_each=float(d["violations"]["each"]),
            floor=float(d.get("floor", 0)),
        )
    except UserError:
        raise
    except KeyError as err:
        raise UserError(f"信息报送规则文件缺少「{err.args[0]}」项", file=source) from None
    except (TypeError, ValueError, AttributeError):
        raise UserError("信息报送规则文件结构有误：各项应为映射（键: 值），分值和条数应为数字", file=source) from None


@dataclass
class InfoScore:
    unit: str
    submitted: int = 0
    adopted: int = 0
    monthly_points: float = 0.0
    adopted_points: float = 0.0
    category_points: float = 0.0
    instructed_points: float = 0.0
    media_points: float = 0.0
    quarter_points: float = 0.0
    zero_months: list[str] = field(default_factory=list)
    longest_zero_run: int = 0
    violations: int = 0
    deduction: float = 0.0
    total: float = 0.0
    zeroed: bool = False
    excluded: int = 0
    quarter_notes: list[str] = field(default_factory=list)

    def inputs(self) -> list[tuple[str, float, str | None]]:
        """(input name, value, note) in output order."""
        zero_note = "、".join(self.zero_months) or None
        total_note = (
            f"连续 {self.longest_zero_run} 个月0报送，本项计0分"
            if self.zeroed
            else f"月度报送 {_f(self.monthly_points)} + 采用 {_f(self.adopted_points)} + 刊物 {_f(self.category_points)} + "
            f"批示 {_f(self.instructed_points)} + 媒体 {_f(self.media_points)} + 季度任务 {_f(self.quarter_points)} "
            f"− 扣分 {_f(self.deduction)}"
        )
        return [
            ("报送条数", self.submitted, None),
            ("采用条数", self.adopted, None),
            ("月度报送积分", self.monthly_points, None),
            ("采用积分", self.adopted_points, None),
            ("刊物采用积分", self.category_points, None),
            ("领导批示积分", self.instructed_points, None),
            ("媒体采用积分", self.media_points, None),
            ("季度任务积分", self.quarter_points, "；".join(self.quarter_notes) or None),
            ("零报送月数", len(self.zero_months), zero_note),
            ("最长连续零报送月数", self.longest_zero_run, None),
            ("瞒报迟报漏报次数", self.violations, None),
            ("扣分", self.deduction, None),
            ("信息工作得分", self.total, total_note),
        ]


def _f(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def months_of(period: Period) -> list[str]:
    out = []
    y, m = period.start.year, period.start.month
    while (y, m) <= (period.end.year, period.end.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def score_info_work(
    engine: Any,
    period: Period,
    units: list[str],
    unit_attrs: dict[str, dict[str, Any]],
    rules: InfoRules,
    excluded: dict[str, int],
) -> list[InfoScore]:
    ph = period.placeholders()
    cats = list(rules.category)
    levels = list(rules.media)
    kinds = ", ".join("'" + k + "'" for k in rules.violation_kinds) or "''"
    # 瞒报 / 漏报 rows record an incident, not a report; a 迟报 row is a (late) report.
    is_report = "(violation IS NULL OR violation NOT IN ('瞒报', '漏报'))"
    sel = [
        "unit",
        "STRFTIME(submitted_at, '%Y-%m') AS month",
        f"COUNT(*) FILTER (WHERE {is_report}) AS submitted",
        f"COUNT(*) FILTER (WHERE {is_report} AND adopted) AS adopted",
        f"COUNT(*) FILTER (WHERE {is_report} AND instructed) AS instructed",
        f"COUNT(*) FILTER (WHERE violation IN ({kinds})) AS violations",
    ]
    sel += [f"COUNT(*) FILTER (WHERE {is_report} AND category = '{c}') AS c{i}" for i, c in enumerate(cats)]
    sel += [
        f"COUNT(*) FILTER (WHERE {is_report} AND media_level = '{c}') AS l{i}" for i, c in enumerate(levels)
    ]
    cols, rows = engine.fetch(
        f"SELECT {', '.join(sel)} FROM info_reports WHERE submitted_at >= {ph['from']} AND submitted_at <= {ph['to']} "
        "GROUP BY unit, STRFTIME(submitted_at, '%Y-%m')"
    )
    by_unit: dict[str, dict[str, dict[str, int]]] = {}
    for row in rows:
        d = dict(zip(cols, row))
        by_unit.setdefault(d["unit"], {})[d["month"]] = {
            k: int(v or 0) for k, v in d.items() if k not in ("unit", "month")
        }
    months = months_of(period)
    everyone = list(units) or sorted(by_unit)
    out = []
    for unit in everyone:
        data = by_unit.get(unit, {})
        s = InfoScore(unit, excluded=excluded.get(unit, 0))
        run = 0
        for month in months:
            c = data.get(month, {})
            n = c.get("submitted", 0)
            s.submitted += n
            s.adopted += c.get("adopted", 0)
            s.monthly_points += rules.submitted.score(n)
            s.adopted_points += rules.adopted.score(c.get("adopted", 0))
            s.category_points += sum(rules.category[cat] * c.get(f"c{i}", 0) for i, cat in enumerate(cats))
            s.instructed_points += rules.instructed * c.get("instructed", 0)
            s.media_points += sum(rules.media[lv] * c.get(f"l{i}", 0) for i, lv in enumerate(levels))
            s.violations += c.get("violations", 0)
            if n == 0:
                s.zero_months.append(month)
                run += 1
                s.longest_zero_run = max(s.longest_zero_run, run)
            else:
                run = 0
        klass = str((unit_attrs.get(unit) or {}).get("class") or "")
        quota = rules.quota_by_class.get(klass, rules.quota_per_month)
        quarters: dict[str, list[str]] = {}
        for month in months:
            y, m = month.split("-")
            quarters.setdefault(f"{y}Q{(int(m) - 1) // 3 + 1}", []).append(month)
        for q, qmonths in quarters.items():
            task = quota * len(qmonths)
            done = sum(data.get(mo, {}).get("submitted", 0) for mo in qmonths)
            short = max(0, task - done)
            pts = max(0.0, rules.quarter_points - rules.quarter_deduct * short)
            s.quarter_points += pts
            s.quarter_notes.append(f"{q} 任务 {task} 篇，报送 {done} 篇，得 {_f(pts)} 分")
        s.deduction = rules.violation_each * s.violations
        gross = (
            s.monthly_points
            + s.adopted_points
            + s.category_points
            + s.instructed_points
            + s.media_points
            + s.quarter_points
            - s.deduction
        )
        s.zeroed = s.longest_zero_run >= rules.consecutive_to_zero
        s.total = 0.0 if s.zeroed else max(rules.floor, gross)
        out.append(s)
    return out
