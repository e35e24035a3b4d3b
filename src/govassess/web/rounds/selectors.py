"""Read-side of rounds: what a page shows, already filtered by what the user may see."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from govassess.web.accounts.models import Role
from govassess.web.accounts.selectors import user_role, user_unit_id
from govassess.web.organisation.models import Unit
from govassess.web.organisation.selectors import unit_list
from govassess.web.rounds import policy
from govassess.web.rounds.models import (
    Appeal,
    Evidence,
    InputValue,
    JobStatus,
    Round,
    RoundState,
    ScoringRun,
    Submission,
    SubmissionStatus,
)
from govassess.web.systems.selectors import (
    InputField,
    not_applicable,
    system_core,
    system_fields,
    system_level1,
)


def round_list(*, user) -> list[Round]:
    """Rounds the user may open; a filler sees only rounds whose system evaluates its unit's class."""
    rounds = [r for r in Round.objects.select_related("system") if policy.can_view_round(user, r)]
    unit_id = user_unit_id(user=user)
    if unit_id:
        unit = Unit.objects.get(pk=unit_id)
        rounds = [
            r for r in rounds if unit.unit_class in (system_core(r.system).classes or (unit.unit_class,))
        ]
    return rounds


def round_units(round: Round) -> QuerySet[Unit]:
    classes = list(system_core(round.system).classes or [])
    return unit_list(classes=classes or None)


def unit_fields(round: Round, unit: Unit) -> list[InputField]:
    """The inputs that apply to this unit (classes and `applies`, decided by the core)."""
    na = not_applicable(round.system, [unit])
    return [f for f in system_fields(round.system) if (unit.code, f.indicator) not in na]


def values_for(round: Round, unit: Unit) -> dict[tuple[str, str], InputValue]:
    return {
        (v.indicator, v.input): v
        for v in InputValue.objects.filter(round=round, unit=unit).select_related("updated_by")
    }


@dataclass
class FormRow:
    field: InputField
    value: InputValue | None
    editable: bool
    i: int = 0
    # The reviewers' 内部意见: shown (internal) and writable (internal_editable) for reviewers and the office.
    internal: bool = False
    internal_editable: bool = False


@dataclass
class FormGroup:
    key: str
    name: str
    indicators: list[dict[str, Any]] = field(default_factory=list)


def fill_form(*, user, round: Round, unit: Unit) -> list[FormGroup]:
    """The fill form of one unit: first-level groups → indicators → inputs (with criteria), only the inputs
    the user may read, each marked editable or not."""
    applicable = unit_fields(round, unit)
    readable = policy.readable_fields(user, round, unit, applicable)
    is_filler = user_role(user=user) == Role.FILLER
    # A unit sees every applicable indicator (criteria, evidence upload for expert scoring) but only the
    # inputs it reports itself; manual scores and provider figures are shown on the scorecard.
    fields = applicable if is_filler else [f for f in applicable if (f.indicator, f.input) in readable]
    may_fill = is_filler and policy.unit_may_fill(round, unit)[0]
    if is_filler:
        fields = [f for f in fields if f.level1]
    values = values_for(round, unit)
    for key, v in values.items():
        if key in readable and not readable[key].note:
            v.note = ""
        if key not in readable or not readable[key].internal:
            v.internal_note = ""
    internal_editable = policy.can_edit_internal_note(user, round)
    evidence: dict[str, list] = defaultdict(list)
    review_files: dict[str, list] = defaultdict(list)
    see_unit = policy.can_view_evidence(user, round, unit, "unit")
    see_review = policy.can_view_evidence(user, round, unit, "review")
    for ev in Evidence.objects.filter(round=round, unit=unit, appeal__isnull=True).select_related(
        "round", "unit"
    ):
        if ev.kind == "unit" and see_unit:
            evidence[ev.indicator].append(ev)
        elif ev.kind != "unit" and see_review:
            review_files[ev.indicator].append(ev)
        ev.deletable = policy.can_delete_evidence(user, ev)
    groups = {key: FormGroup(key, name) for key, name in system_level1(round.system)}
    memo: dict = {}
    by_indicator: dict[str, dict[str, Any]] = {}
    for f in fields:
        ind = by_indicator.get(f.indicator)
        if ind is None:
            ind = {
                "code": f.indicator,
                "name": f.indicator_name,
                "criteria": f.criteria,
                "points": f.points,
                "evidence_rule": f.evidence,
                "source": f.source,
                "rows": [],
                "evidence": evidence[f.indicator],
                "review_files": review_files[f.indicator],
                "editable": False,
            }
            by_indicator[f.indicator] = ind
            groups.setdefault(
                f.level1 or "", FormGroup(f.level1 or "", f.level1 or "其他")
            ).indicators.append(ind)
        if (f.indicator, f.input) not in readable or (is_filler and f.owner != "unit"):
            ind["editable"] = ind["editable"] or may_fill
            continue
        editable = policy.can_edit_field(user, round, unit, f, memo=memo)
        ind["editable"] = ind["editable"] or editable
        row = FormRow(f, values.get((f.indicator, f.input)), editable)
        if readable[(f.indicator, f.input)].internal:
            row.internal = True
            row.internal_editable = internal_editable
        ind["rows"].append(row)
    out = [g for g in groups.values() if g.indicators]
    i = 0
    for g in out:
        for ind in g.indicators:
            for row in ind["rows"]:
                row.i = i
                i += 1
    return out


def readable_values(*, user, round: Round, units, limit: int | None = None) -> list[InputValue]:
    """Stored values of these units that a user may read (policy.readable_fields decides per unit and
    field); a note the user may not read comes back blank. Ordered by unit, indicator, input; at most
    `limit` values."""
    fields = system_fields(round.system)
    units = {u.pk: u for u in units}
    readable: dict[int, dict] = {}
    out = []
    qs = (
        InputValue.objects.filter(round=round, unit_id__in=list(units))
        .select_related("unit")
        .order_by("unit__code", "indicator", "input")
    )
    for v in qs.iterator(chunk_size=2000):
        if v.unit_id not in readable:
            readable[v.unit_id] = policy.readable_fields(user, round, units[v.unit_id], fields)
        r = readable[v.unit_id].get((v.indicator, v.input))
        if r is None:
            continue
        if not r.note:
            v.note, v.note_withheld = "", bool(v.note)
        v.internal_visible = r.internal
        if not r.internal:
            v.internal_note = ""
        out.append(v)
        if limit is not None and len(out) >= limit:
            break
    return out


def template_values(*, user, round: Round, units) -> list[dict[str, Any]]:
    """Stored values a user may read, as rows for pre-filling the Excel template. A value whose note is
    withheld (an expert score seen by its unit) stays out: the core requires the reason beside a manual
    score, and the template is for entering data, which the unit does not do for those inputs."""
    return [
        {
            "unit": v.unit.code,
            "indicator": v.indicator,
            "input": v.input,
            "value": v.value,
            "note": v.note or None,
        }
        for v in readable_values(user=user, round=round, units=units)
        if not getattr(v, "note_withheld", False)
    ]


@dataclass
class Completeness:
    unit: Unit
    total: int
    filled: int
    missing: list[InputField]
    status: str
    status_label: str

    @property
    def percent(self) -> int:
        return 100 if not self.total else round(100 * self.filled / self.total)


def completeness(*, round: Round, units, owners=("unit", "provider", "reviewer")) -> list[Completeness]:
    """What is still missing per unit (required inputs of the unit's class, by owner)."""
    units = list(units)
    filled = defaultdict(set)
    for code, ind, inp in InputValue.objects.filter(round=round, unit__in=units).values_list(
        "unit__code", "indicator", "input"
    ):
        filled[code].add((ind, inp))
    subs = {s.unit_id: s for s in Submission.objects.filter(round=round, unit__in=units)}
    out = []
    fields = system_fields(round.system)
    na = not_applicable(round.system, units)
    for u in units:
        wanted = [f for f in fields if f.required and f.owner in owners and (u.code, f.indicator) not in na]
        missing = [f for f in wanted if (f.indicator, f.input) not in filled[u.code]]
        sub = subs.get(u.pk)
        status = sub.status if sub else SubmissionStatus.DRAFT
        out.append(
            Completeness(
                u, len(wanted), len(wanted) - len(missing), missing, status, SubmissionStatus(status).label
            )
        )
    return out


def review_queue(*, round: Round) -> QuerySet[Submission]:
    return Submission.objects.filter(round=round).select_related("unit").order_by("status", "submitted_at")


def latest_run(round: Round) -> ScoringRun | None:
    return round.runs.filter(status=JobStatus.DONE).order_by("-created_at", "-id").first()


def active_run(round: Round) -> ScoringRun | None:
    return round.runs.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).order_by("-id").first()


def rank_band(rank: int | None, count: int) -> str:
    """Preliminary results show a band, not the exact rank (ranks are published with the final results)."""
    if not rank or not count:
        return "—"
    quarter = (rank - 1) * 4 // count
    return ["前 25%", "25%–50%", "50%–75%", "后 25%"][min(quarter, 3)]


def ranking(results: dict) -> list[dict[str, Any]]:
    """The 通报 table: per class, units by rank; totals only."""
    by_class: dict[str, list] = defaultdict(list)
    for u in results.get("units", []):
        by_class[u.get("class") or ""].append(
            {
                k: u.get(k)
                for k in (
                    "unit",
                    "name",
                    "class",
                    "score",
                    "weighted",
                    "bonus",
                    "penalty",
                    "rank",
                    "grade",
                    "vetoed",
                )
            }
        )
    return [
        {"class": cls, "units": sorted(rows, key=lambda r: (r["rank"] is None, r["rank"] or 0, r["unit"]))}
        for cls, rows in by_class.items()
    ]


def unit_result(results: dict, unit_code: str) -> dict | None:
    return next((u for u in results.get("units", []) if u.get("unit") == unit_code), None)


WITHHELD = "（此处说明不公开）"


def withheld_notes(*, user, round: Round, unit: Unit) -> set[str]:
    """Stored notes of this unit that the user may not read (policy.readable_fields): the core quotes
    notes in its explanations, so these must be taken out of any result the user is shown."""
    readable = policy.readable_fields(user, round, unit, system_fields(round.system))
    return {
        note
        for ind, inp, note in InputValue.objects.filter(round=round, unit=unit)
        .exclude(note="")
        .values_list("indicator", "input", "note")
        if not ((ind, inp) in readable and readable[(ind, inp)].note)
    }


def withheld_notes_round(*, user, round: Round) -> set[str]:
    """withheld_notes over every unit of the round (for results that carry every unit's explanations)."""
    fields = system_fields(round.system)
    readable: dict[int, dict] = {}
    out = set()
    for v in InputValue.objects.filter(round=round).exclude(note="").select_related("unit"):
        if v.unit_id not in readable:
            readable[v.unit_id] = policy.readable_fields(user, round, v.unit, fields)
        r = readable[v.unit_id].get((v.indicator, v.input))
        if r is None or not r.note:
            out.add(v.note)
    return out


def withheld_notes_reader(*, round: Round, unit: Unit | None = None) -> set[str]:
    """withheld_notes_round for a reader who is not one account: the leaders (``unit`` None) or the fillers of
    ``unit``. The reader versions of a 评估报告 are built by a job, with no request user, and each version
    serves every account of that kind alike. Mirrors policy.readable_fields (a test checks it against
    withheld_notes_round for real accounts): leaders read no note; a unit's fillers read the notes of their
    own unit's fields (the provider and reviewer fields from the preliminary publication on) and no other's."""
    fields = {(f.indicator, f.input): f for f in system_fields(round.system)}
    published = policy.state_at_least(round, RoundState.PRELIMINARY)
    out = set()
    for unit_id, ind, inp, note in (InputValue.objects.filter(round=round).exclude(note="")
                                    .values_list("unit_id", "indicator", "input", "note")):
        f = fields.get((ind, inp))
        readable = (unit is not None and unit_id == unit.pk and f is not None
                    and (f.owner == "unit" or published))
        if not readable:
            out.add(note)
    return out


def redact(value: Any, notes: set[str]) -> Any:
    """`value` (a unit's result, nested dicts / lists) with every occurrence of these notes replaced."""
    if not notes:
        return value
    if isinstance(value, str):
        for note in sorted(notes, key=len, reverse=True):
            value = value.replace(note, WITHHELD)
        return value
    if isinstance(value, dict):
        return {k: redact(v, notes) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, notes) for v in value]
    return value


def level1_codes(results: dict) -> list[tuple[str, str]]:
    """First-level indicators that carry weighted points (a group of only bonus / penalty items has no share
    of points to compare, so the charts leave it out)."""
    items = results.get("indicators", [])
    weighted: set[str] = set()
    parent = {i.get("code"): i.get("parent") for i in items}
    for i in items:
        if i.get("is_leaf") and i.get("kind", "normal") == "normal":
            code = i.get("code")
            while parent.get(code):
                code = parent[code]
            weighted.add(code)
    return [
        (i.get("code") or i.get("name"), i.get("name"))
        for i in items
        if i.get("level") == 1 and i.get("code") in weighted
    ]


def _pct(entry: dict | None) -> float | None:
    if not entry or not entry.get("applicable", True):
        return None
    points = entry.get("points") or 0
    return round(100 * (entry.get("score") or 0) / points, 1) if points else None


AVERAGE_MIN_UNITS = 3
AVERAGE_WITHHELD = f"本类别单位少于 {AVERAGE_MIN_UNITS} 个，不显示平均分"


def scorecard(
    *,
    results: dict,
    unit_code: str,
    with_heatmap: bool,
    with_others: bool = True,
    small_class_averages: bool = True,
) -> dict[str, Any]:
    """Data for the scorecard page and its charts: ranking bar (class totals), radar of first-level
    indicators (percent of points) against the class average, and an indicator × unit heat map.
    `with_others` False (a unit before the final publication, which promises a rank band only): the bar
    compares the unit with its class average; no other unit's name or total leaves the server.
    `small_class_averages` False (a unit's own reader): in a class of fewer than AVERAGE_MIN_UNITS units no
    class average at all — with two units, the average and the unit's own score give the other unit's
    (its total before publication, its first-level scores even after); `average_withheld` says why."""
    me = unit_result(results, unit_code)
    if me is None:
        return {}
    same = [u for u in results.get("units", []) if u.get("class") == me.get("class")]
    averages = small_class_averages or len(same) >= AVERAGE_MIN_UNITS
    same_sorted = sorted(same, key=lambda u: (u.get("rank") or 10**9, u.get("unit")))
    lvl1 = level1_codes(results)
    radar_me, radar_avg = [], []
    for code, _ in lvl1:
        radar_me.append(_pct(me.get("indicators", {}).get(code)) or 0)
        vals = [p for p in (_pct(u.get("indicators", {}).get(code)) for u in same) if p is not None]
        radar_avg.append(round(sum(vals) / len(vals), 1) if vals else 0)
    if not averages:
        radar_avg = None
    indicators = []
    for ind in results.get("indicators", []):
        entry = me.get("indicators", {}).get(ind.get("code"))
        if entry is None:
            continue
        indicators.append(
            {**ind, **entry, "score": entry.get("score"), "indent": (ind.get("level") or 1) - 1}
        )
    if with_others:
        bar = {
            "names": [u.get("name") for u in same_sorted],
            "scores": [u.get("score") for u in same_sorted],
            "highlight": me.get("name"),
        }
    elif not averages:
        bar = {"names": [me.get("name")], "scores": [me.get("score")], "highlight": me.get("name")}
    else:
        totals = [u.get("score") or 0 for u in same]
        bar = {
            "names": [me.get("name"), "同类平均"],
            "scores": [me.get("score"), round(sum(totals) / len(totals), 2) if totals else 0],
            "highlight": me.get("name"),
        }
    charts: dict[str, Any] = {
        "bar": bar,
        "radar": {
            "indicators": [{"name": n, "max": 100} for _, n in lvl1],
            "unit": radar_me,
            "average": radar_avg,
            "unit_name": me.get("name"),
        },
    }
    if with_heatmap:
        cells = []
        for x, u in enumerate(same_sorted):
            for y, (code, _) in enumerate(lvl1):
                v = _pct(u.get("indicators", {}).get(code))
                cells.append([x, y, v if v is not None else "-"])
        charts["heatmap"] = {
            "units": [u.get("name") for u in same_sorted],
            "indicators": [n for _, n in lvl1],
            "cells": cells,
        }
    return {
        "unit": me,
        "class_count": len(same),
        "average_withheld": "" if averages else AVERAGE_WITHHELD,
        "indicators": indicators,
        "lost": me.get("lost", []),
        "charts": charts,
    }


def appeals_for(*, user, round: Round) -> QuerySet[Appeal]:
    qs = Appeal.objects.filter(round=round).select_related("unit")
    if user_role(user=user) in (Role.OFFICE, Role.REVIEWER):
        return qs
    uid = user_unit_id(user=user)
    return qs.filter(unit_id=uid) if uid else qs.none()


def dashboard_state_counts(round: Round) -> dict[str, int]:
    counts = {s: 0 for s in SubmissionStatus.values}
    for status in Submission.objects.filter(round=round).values_list("status", flat=True):
        counts[status] += 1
    return counts


__all__ = ["RoundState"]


def previous_final_round(round: Round) -> Round | None:
    """The last round published before this one: the baseline for "change since last round"."""
    qs = Round.objects.filter(state=RoundState.FINAL).exclude(pk=round.pk)
    if round.finalised_at:
        qs = qs.filter(finalised_at__lt=round.finalised_at)
    else:
        qs = qs.filter(created_at__lt=round.created_at)
    return qs.order_by("-finalised_at", "-created_at", "-id").first()


def leader_overview(round: Round) -> dict[str, Any] | None:
    """The leader dashboard of a published round: KPIs, ranking, score distribution (10-point bands)
    and each unit's change against the previous published round. Totals only, from published results."""
    run = latest_run(round)
    if run is None or not run.results:
        return None
    units = [u for u in run.results.get("units", []) if u.get("score") is not None]
    scores = [float(u["score"]) for u in units]
    statuses = dict(round.submissions.values_list("unit__code", "status"))
    done = (SubmissionStatus.SUBMITTED, SubmissionStatus.ACCEPTED)
    submitted = sum(1 for u in units if statuses.get(u["unit"]) in done)
    # Grades in the order they first occur from the top score down (优秀 before 良好), not by code point.
    grades: dict[str, int] = {}
    for u in sorted(units, key=lambda u: -float(u["score"])):
        g = u.get("grade") or "未定等次"
        grades[g] = grades.get(g, 0) + 1
    # Bands of 10 points, the top band closed at 100 (a total of exactly 100 falls in 90–100).
    bands = [f"{lo}–{lo + 10}" for lo in range(0, 100, 10)]
    counts = [0] * 10
    for s in scores:
        counts[min(max(int(s // 10), 0), 9)] += 1
    prev = previous_final_round(round)
    prev_run = latest_run(prev) if prev else None
    before = {
        u["unit"]: u for u in (prev_run.results.get("units", []) if prev_run and prev_run.results else [])
    }
    rows = []
    for u in sorted(units, key=lambda u: (-float(u["score"]), u["unit"])):
        old = before.get(u["unit"])
        old_score = float(old["score"]) if old and old.get("score") is not None else None
        rows.append(
            {
                "unit": u["unit"],
                "name": u.get("name") or u["unit"],
                "class": u.get("class") or "",
                "score": float(u["score"]),
                "rank": u.get("rank"),
                "grade": u.get("grade") or "",
                "previous": old_score,
                "change": None if old_score is None else round_half(float(u["score"]) - old_score),
                "rank_change": (old["rank"] - u["rank"])
                if old and old.get("rank") and u.get("rank")
                else None,
            }
        )
    return {
        "units": len(units),
        "submitted": submitted,
        "submitted_percent": round_half(100 * submitted / len(units)) if units else 0,
        "average": round_half(sum(scores) / len(scores)) if scores else None,
        "grades": list(grades.items()),
        "previous": prev,
        "improved": sum(1 for r in rows if r["change"] is not None and r["change"] > 0),
        "declined": sum(1 for r in rows if r["change"] is not None and r["change"] < 0),
        "unchanged": sum(1 for r in rows if r["change"] == 0),
        "rows": rows,
        "chart": {
            "names": [r["name"] for r in rows],
            "scores": [r["score"] for r in rows],
            "previous": [r["previous"] for r in rows],
            "bands": bands,
            "counts": counts,
        },
    }


def round_half(x: float) -> float:
    return float(f"{x:.2f}")
