"""What the weighting pages show: read-only views of tasks, experts' matrices and the core's results."""

from __future__ import annotations

from typing import Any

from govassess.errors import UserError
from govassess.web.systems.models import System
from govassess.web.systems.selectors import system_core
from govassess.web.weighting import policy
from govassess.web.weighting.models import Invitation, WeightingTask

# Saaty's 1–9 scale and its reciprocals, as the form offers them (the row criterion against the column one).
SCALE = [
    ("", "—（请选择）"), ("9", "9 极端重要"), ("8", "8"), ("7", "7 强烈重要"), ("6", "6"), ("5", "5 明显重要"), ("4", "4"),
    ("3", "3 稍重要"), ("2", "2"), ("1", "1 同等重要"), ("1/2", "1/2"), ("1/3", "1/3 稍不重要"), ("1/4", "1/4"),
    ("1/5", "1/5 明显不重要"), ("1/6", "1/6"), ("1/7", "1/7 强烈不重要"), ("1/8", "1/8"), ("1/9", "1/9 极端不重要"),
]


def draft_systems() -> list[System]:
    return [s for s in System.objects.all() if policy.is_draft_system(s)]


def task_targets() -> list[dict[str, str]]:
    """Every (draft system, node) an AHP task can be opened for: nodes with 2–15 normal children."""
    from govassess.web.weighting.services import node_children

    out = []
    for s in draft_systems():
        core = system_core(s)
        for code in ["", *[n.code for n in core.nodes() if n.code and not n.is_leaf and n.kind == "normal"]]:
            try:
                name, kids = node_children(core, code)
            except UserError:
                continue
            label = f"{s.name} · {'一级指标' if not code else f'{code} {name}'}（{len(kids)} 个下级指标）"
            out.append({"value": f"{s.pk}:{code}", "label": label})
    return out


def _expert_name(inv: Invitation) -> str:
    return inv.expert.get_full_name() or inv.expert.get_username()


def _weights_rows(task: WeightingTask, weights) -> list[dict[str, Any]]:
    return [{"code": c["code"], "name": c["name"], "weight": float(w)} for c, w in zip(task.criteria, weights)]


def invitation_view(task: WeightingTask, inv: Invitation) -> dict[str, Any]:
    r = inv.result
    given = {(i, k): v for i, k, v in (inv.judgements or [])}
    n = len(task.criteria)
    matrix = [
        {"name": c["name"],
         "cells": ["1" if i == k else given.get((i, k)) if k > i else _reciprocal(given.get((k, i), "1"))
                   for k in range(n)]}
        for i, c in enumerate(task.criteria)
    ] if inv.judgements else []
    return {
        "expert": _expert_name(inv),
        "submitted_at": inv.submitted_at,
        "result": r,
        "weights": _weights_rows(task, r["weights"]) if r else [],
        "matrix": matrix,
    }


def matrix_grid(task: WeightingTask, inv: Invitation) -> list[dict[str, Any]]:
    """Rows of the n × n form: upper cells are choices (pre-set to the expert's last judgement, else 1), the
    diagonal is 1, lower cells show the reciprocal."""
    given = {(i, k): v for i, k, v in (inv.judgements or [])}
    n = len(task.criteria)
    rows = []
    for i, c in enumerate(task.criteria):
        cells = []
        for k in range(n):
            if k > i:
                cells.append({"kind": "upper", "i": i, "k": k, "value": given.get((i, k), ""),
                              "label": f"「{c['name']}」相对「{task.criteria[k]['name']}」"})
            elif k == i:
                cells.append({"kind": "diag"})
            else:
                v = given.get((k, i))
                cells.append({"kind": "lower", "i": i, "k": k, "value": _reciprocal(v) if v else "—"})
        rows.append({"criterion": c, "cells": cells})
    return rows


def _reciprocal(v: str) -> str:
    v = str(v)
    if v.startswith("1/"):
        return v[2:]
    return "1" if v == "1" else f"1/{v}"


def task_overview(task: WeightingTask) -> dict[str, Any]:
    """The office's view: each expert's status, weights and CR (with the core's warning), and the group result."""
    from govassess.web.weighting.services import task_group

    experts = [invitation_view(task, inv) for inv in task.invitations.select_related("expert")]
    group = task_group(task)
    out: dict[str, Any] = {"experts": experts, "group": None}
    if group is not None:
        d = group.to_dict()
        out["group"] = {
            "weights": _weights_rows(task, d["weights"]),
            "cr": d["cr"],
            "consistent": d["consistent"],
            "count": len(group.experts),
            "warning": group.combined.warning() if group.method == "aij" else None,
        }
    return out


def objective_targets() -> list[dict[str, str]]:
    """(round, scope) pairs for objective weights: every normal leaf, or the leaf children of one node."""
    from govassess.web.rounds.models import Round
    from govassess.web.weighting.services import objective_leaves

    out = []
    for r in Round.objects.select_related("system"):
        core = system_core(r.system)
        leaves = objective_leaves(core, "")
        out.append({"value": f"{r.pk}:", "label": f"{r.name}（{r.system.name}） · 全部叶子指标（{len(leaves)} 个）"})
        for n in core.nodes():
            if not n.code or n.is_leaf or n.kind != "normal":
                continue
            try:
                kids = objective_leaves(core, n.code)
            except UserError:
                continue
            out.append({"value": f"{r.pk}:{n.code}", "label": f"{r.name}（{r.system.name}） · {n.code} {n.name}（{len(kids)} 个）"})
    return out


METHOD_LABELS = {"entropy": "熵权法", "critic": "CRITIC 法", "cv": "变异系数法"}


def objective_view(ow) -> dict[str, Any]:
    r = ow.result
    rows = [{"code": c, "name": n, "weight": float(w), "less": c in (ow.less_better or [])}
            for c, n, w in zip(r["criteria"], r["names"], r["weights"])]
    return {"ow": ow, "method": METHOD_LABELS.get(ow.method, ow.method), "rows": rows,
            "units": r.get("units", []), "source": r.get("source", "inputs")}


def combinable(task: WeightingTask) -> list[dict[str, Any]]:
    """Objective weightings over exactly the task's criteria (leaf codes), newest first."""
    from govassess.web.weighting.models import ObjectiveWeighting

    codes = sorted(c["code"] for c in task.criteria)
    return [objective_view(ow) for ow in ObjectiveWeighting.objects.select_related("round")
            if sorted(ow.result.get("criteria", [])) == codes]


# ---- rank sensitivity ---------------------------------------------------------------------------------------

MODE_LABELS = {"uniform": "均匀扰动", "dirichlet": "狄利克雷抽样"}
LEVEL_LABELS = {"leaf": "叶子指标", "1": "一级指标"}


def sensitivity_panel(round, *, unit_code: str | None = None) -> dict[str, Any]:
    """The latest finished sensitivity job of a round as table rows, chart data and swaps (only `unit_code`'s
    row and the swaps it is part of, when given), and the job in progress if any."""
    from govassess.web.rounds.models import JobStatus

    runs = round.sensitivity_runs.select_related("scoring_run")
    # One snapshot of every run's status: a job finishing between two queries must not be seen neither
    # done nor active (the page would then neither show it nor reload).
    states = list(runs.values_list("pk", "status"))
    done_pk = next((pk for pk, st in states if st == JobStatus.DONE), None)
    active_pk = next((pk for pk, st in states if st in (JobStatus.QUEUED, JobStatus.RUNNING)), None)
    done = runs.filter(pk=done_pk).first() if done_pk else None
    active = runs.filter(pk=active_pk).first() if active_pk else None
    failed = runs.filter(pk=states[0][0]).first() if states and states[0][1] == JobStatus.FAILED else None
    out: dict[str, Any] = {"job": done, "active": active, "failed": failed, "rows": [], "swaps": []}
    if done is None or not done.results:
        return out
    from govassess.web.rounds.selectors import latest_run

    latest = latest_run(round)
    out["stale"] = latest is not None and latest.pk != done.scoring_run_id
    r = done.results
    units = [u for u in r["units"] if unit_code is None or u["unit"] == unit_code]
    units.sort(key=lambda u: (u["class"], u["rank"], u["unit"]))
    out["rows"] = [{**u, "moves": u["rank_min"] != u["rank_max"], "kept_percent": 100 * u["rank_kept_share"]}
                   for u in units]
    out["swaps"] = [s for s in r.get("swaps", []) if unit_code is None or unit_code in (s["upper"], s["lower"])]
    names = {u["unit"]: u["name"] or u["unit"] for u in r["units"]}
    for s in out["swaps"]:
        s["upper_name"], s["lower_name"] = names.get(s["upper"], s["upper"]), names.get(s["lower"], s["lower"])
        if s.get("factor") is not None:
            s["change_percent"] = 100 * (s["factor"] - 1)
    out["params"] = {
        "perturb_percent": 100 * r["perturb"],
        "samples": r["samples"],
        "seed": r["seed"],
        "mode": MODE_LABELS.get(r["mode"], r["mode"]),
        "level": LEVEL_LABELS.get(r["level"], r["level"]),
        "spearman_mean": r.get("spearman_mean"),
        "spearman_min": r.get("spearman_min"),
        "concentration": r.get("concentration"),
    }
    several = len({u["class"] for u in units}) > 1
    out["chart"] = {
        "units": [
            {"label": f"{u['name'] or u['unit']}{'（' + u['class'] + '）' if several else ''}", "rank": u["rank"],
             "rank_min": u["rank_min"], "rank_max": u["rank_max"], "kept": u["rank_kept_share"]}
            for u in units
        ],
        "max_rank": max((u["rank_max"] for u in units), default=1),
    }
    return out


def applied_versions(limit: int = 50) -> list[dict[str, Any]]:
    """Systems created by applying weights, newest first, with where their weights came from (the audit log)."""
    from govassess.web.audit.models import AuditEntry

    out = []
    for e in AuditEntry.objects.filter(action="weighting_apply").order_by("-at")[:limit]:
        after = e.after or {}
        out.append({"at": e.at, "by": e.username, "slug": after.get("system"), "from": (e.before or {}).get("system"),
                    "weights": after.get("weights"), "step": after.get("step")})
    return out
