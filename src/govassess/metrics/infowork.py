"""政务信息报送 points (seed 002) as rules-as-data: counts per unit and month come from the engine, the
points are computed here over that small table so the rules stay readable and editable (infowork.yaml).

Besides the default blend (infowork.yaml) three presets follow one office's regime each, as seed 002 words
it: ``yingdong`` (颍东区细则, with its 稿酬), ``gansu`` (甘肃省办法) and ``xinwen`` (某局新闻宣传政务信息办法,
with its annual zero). A section a regime does not have is left out of its file and then scores nothing."""

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
# Named presets → packaged files; ``--info-rules`` takes a name or a path.
PRESETS = {
    "yingdong": "infowork-yingdong.yaml",
    "gansu": "infowork-gansu.yaml",
    "xinwen": "infowork-xinwen.yaml",
    "combined": "infowork.yaml",
}
PRESET_NAMES = {
    "yingdong": "颍东区政务信息工作考评细则",
    "gansu": "甘肃省政务信息考核评比办法",
    "xinwen": "新闻宣传政务信息工作质量考核评价办法",
    "combined": "三个办法条款的组合（示例，不是任何一个单位的办法）",
}


def choice_help() -> str:
    """What to say when no regime was chosen: the points differ by office, so none is assumed."""
    names = "；".join(f"{k}：{v}" for k, v in PRESET_NAMES.items())
    return (
        "信息报送积分的计分办法各单位不同，本平台不默认任何一种。请选择考评办法（命令行 --info-rules，"
        f"或映射文件中的 info_rules）：{names}；也可以指定评估办自己的规则文件"
    )


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
class Remuneration:
    """颍东 稿酬: a month's points reaching the unit's class threshold earn ``per_point`` 元 each; every adopted
    report earns ``per_adopted`` 元 on top (“每采用一篇，另单独给予50元奖励”)."""

    threshold_by_class: dict[str, float]
    per_point: float
    per_adopted: float


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
    consecutive_to_zero: int | None  # None: the regime has no zero-month rule
    violation_kinds: tuple[str, ...]
    violation_each: float
    floor: float
    quarterly: bool = True  # False: the regime sets no quarterly task (no 季度任务积分, no quarter notes)
    violation_zeroes: bool = False  # 新闻宣传: any 瞒报/迟报/漏报 makes the period's score 0
    basic_task_zeroes: bool = False  # 新闻宣传: missing the basic task (月任务 × 月数) makes it 0
    remuneration: Remuneration | None = None
    name: str = ""


def load_info_rules(path: Path | str | None = None) -> InfoRules:
    """A preset by name (``yingdong``, ``gansu``, ``xinwen``, ``combined``) or an office's own file; no
    argument gives ``combined`` (the tests of the single clauses use it)."""
    if path is not None and str(path) in PRESETS:
        path, packaged = None, PRESETS[str(path)]
    else:
        packaged = "infowork.yaml"
    if path is None:
        text = resources.files("govassess.metrics").joinpath(packaged).read_text(encoding="utf-8")
        source = packaged
    else:
        if not Path(path).exists():
            names = "、".join(f"{k}（{v}）" for k, v in PRESET_NAMES.items())
            raise UserError(f"找不到信息报送积分规则「{path}」：既不是文件，也不是内置规则（{names}）")
        source = Path(path).name
        text = safe_yaml.read_text(path, file=source)
    d = safe_yaml.load_yaml(text, file=source)
    if not isinstance(d, dict):
        raise UserError("信息报送规则文件应为 YAML 映射（键: 值）", file=source)
    try:
        m, p_ = d.get("monthly") or {}, d.get("per_item") or {}
        q = d.get("quarterly")
        z = d.get("zero_months")
        v = d.get("violations") or {}

        def rule(x: dict[str, Any] | None, where: str) -> CountRule:
            if x is None:  # the regime gives no points for this count
                return CountRule(1, 0.0, "threshold")
            r = CountRule(int(x["at_least"]), float(x["points"]), str(x.get("mode", "threshold")))
            if r.mode not in MODES or r.at_least < 1:
                raise UserError(f"mode 应为 {'/'.join(MODES)}，at_least 至少为 1", file=source, field=where)
            return r

        cats = {str(k): float(v) for k, v in (p_.get("category") or {}).items()}
        media = {str(k): float(v) for k, v in (p_.get("media") or {}).items()}
        bad = [k for k in cats if k not in INFO_CATEGORIES] + [k for k in media if k not in MEDIA_LEVELS]
        if bad:
            raise UserError(f"未知的采用类别或媒体级别：{'、'.join(bad)}", file=source)
        pay = d.get("remuneration")
        remuneration = None
        if pay is not None:
            remuneration = Remuneration(
                threshold_by_class={
                    str(k): float(x) for k, x in (pay.get("threshold_by_class") or {}).items()
                },
                per_point=float(pay["per_point"]),
                per_adopted=float(pay.get("per_adopted", 0)),
            )
        annual = d.get("annual_zero") or {}
        consecutive = None if z is None else int(z["consecutive_to_zero"])
        if consecutive is not None and consecutive < 1:
            raise UserError("consecutive_to_zero 至少为 1", file=source, field="zero_months")
        if not m and not p_ and q is None:
            raise UserError("信息报送规则文件至少要有 monthly、per_item、quarterly 之一", file=source)
        return InfoRules(
            submitted=rule(m.get("submitted"), "monthly.submitted"),
            adopted=rule(m.get("adopted"), "monthly.adopted"),
            category=cats,
            instructed=float(p_.get("instructed", 0)),
            media=media,
            quarter_points=float(q["points"]) if q else 0.0,
            quarter_deduct=float(q["deduct_per_missing"]) if q else 0.0,
            quota_per_month=int(q["quota_per_month"]) if q else 0,
            quota_by_class={
                str(k): int(x) for k, x in ((q or {}).get("quota_per_month_by_class") or {}).items()
            },
            consecutive_to_zero=consecutive,
            violation_kinds=tuple(v.get("kinds") or ()),
            violation_each=float(v.get("each", 0)),
            floor=float(d.get("floor", 0)),
            quarterly=q is not None,
            violation_zeroes=bool(annual.get("violation", False)),
            basic_task_zeroes=bool(annual.get("basic_task", False)),
            remuneration=remuneration,
            name=str(d.get("name", "")),
        )
    except UserError:
        raise
    except KeyError as err:
        raise UserError(f"信息报送规则文件缺少「{err.args[0]}」项", file=source) from None
    except (TypeError, ValueError, AttributeError):
        raise UserError(
            "信息报送规则文件结构有误：各项应为映射（键: 值），分值和条数应为数字", file=source
        ) from None


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
    zero_reason: str = ""
    basic_task: int | None = None  # the period's basic task (月任务 × 月数) when the regime zeroes on it
    pay: float | None = None  # 稿酬（元）, only under a regime that pays
    pay_notes: list[str] = field(default_factory=list)
    adopted_pay: float | None = None  # 刊物采用奖励（元）

    def inputs(self) -> list[tuple[str, float, str | None]]:
        """(input name, value, note) in output order; the 稿酬 and 基本任务 rows only under regimes that have them."""
        zero_note = "、".join(self.zero_months) or None
        total_note = (
            f"{self.zero_reason}，本项计0分"
            if self.zeroed
            else f"月度报送 {_f(self.monthly_points)} + 采用 {_f(self.adopted_points)} + 刊物 {_f(self.category_points)} + "
            f"批示 {_f(self.instructed_points)} + 媒体 {_f(self.media_points)} + 季度任务 {_f(self.quarter_points)} "
            f"− 扣分 {_f(self.deduction)}"
        )
        rows: list[tuple[str, float, str | None]] = [
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
        if self.basic_task is not None:
            done = 1 if self.submitted >= self.basic_task else 0
            rows.append(
                ("完成基本报送任务", done, f"基本任务 {self.basic_task} 篇，报送 {self.submitted} 篇")
            )
        if self.pay is not None:
            rows.append(("稿酬", self.pay, "；".join(self.pay_notes) or None))
        if self.adopted_pay is not None:
            rows.append(
                ("刊物采用奖励", self.adopted_pay, f"采用 {self.adopted} 篇" if self.adopted else None)
            )
        return rows


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
        klass = str((unit_attrs.get(unit) or {}).get("class") or "")
        pay = rules.remuneration
        threshold = pay.threshold_by_class.get(klass) if pay else None
        if pay is not None:
            s.pay = 0.0
            s.adopted_pay = 0.0
        for month in months:
            c = data.get(month, {})
            n = c.get("submitted", 0)
            s.submitted += n
            s.adopted += c.get("adopted", 0)
            parts = (
                rules.submitted.score(n),
                rules.adopted.score(c.get("adopted", 0)),
                sum(rules.category[cat] * c.get(f"c{i}", 0) for i, cat in enumerate(cats)),
                rules.instructed * c.get("instructed", 0),
                sum(rules.media[lv] * c.get(f"l{i}", 0) for i, lv in enumerate(levels)),
            )
            month_points = sum(parts)
            s.monthly_points += parts[0]
            s.adopted_points += parts[1]
            s.category_points += parts[2]
            s.instructed_points += parts[3]
            s.media_points += parts[4]
            s.violations += c.get("violations", 0)
            if pay is not None:
                # 稿酬 on the month's own points after that month's deductions (“按实际得分总数，每得一分奖励一元”).
                net = max(0.0, month_points - rules.violation_each * c.get("violations", 0))
                if threshold is not None and net >= threshold:
                    s.pay = (s.pay or 0.0) + net * pay.per_point
                    s.pay_notes.append(
                        f"{month} 积分 {_f(net)}，达到 {_f(threshold)} 分，{_f(net * pay.per_point)} 元"
                    )
                elif threshold is not None:
                    s.pay_notes.append(f"{month} 积分 {_f(net)}，不满 {_f(threshold)} 分，不予奖励")
                s.adopted_pay = (s.adopted_pay or 0.0) + pay.per_adopted * c.get("adopted", 0)
            if n == 0:
                s.zero_months.append(month)
                run += 1
                s.longest_zero_run = max(s.longest_zero_run, run)
            else:
                run = 0
        if pay is not None and threshold is None:
            s.pay_notes.append(f"评估对象类别「{klass or '未填'}」不在稿酬规则的类别中，不计稿酬")
        quota = rules.quota_by_class.get(klass, rules.quota_per_month)
        if rules.quarterly:
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
        reasons = []
        if rules.consecutive_to_zero is not None and s.longest_zero_run >= rules.consecutive_to_zero:
            reasons.append(f"连续 {s.longest_zero_run} 个月0报送")
        if rules.basic_task_zeroes:
            s.basic_task = quota * len(months)
            if s.submitted < s.basic_task:
                reasons.append(f"未完成基本报送任务（任务 {s.basic_task} 篇，报送 {s.submitted} 篇）")
        if rules.violation_zeroes and s.violations:
            reasons.append(f"迟报、漏报、瞒报重大紧急信息 {s.violations} 次")
        s.zeroed = bool(reasons)
        s.zero_reason = "；".join(reasons)
        s.total = 0.0 if s.zeroed else max(rules.floor, gross)
        out.append(s)
    return out
