"""Objective weights from a past round's data and their combination with AHP weights (issue 11, web part 2).

Hand computations (the formulas of docs/methods.md §二):
- 熵权法 on web-mini's leaf score rates (score ÷ points) of D01 (90%, 是, 8/10, 7), D02 (50%, 否, 5/10, 6),
  D03 (70%, 未接入, 6/10, 8): leaf 1 x = 0.9, 0.5, 0.7; leaf 2 x = 20/20, 5/20, 0/20 = 1, 0.25, 0; leaf 3 x = 0.8,
  0.5, 0.6; leaf 4 x = 0.7, 0.6, 0.8. p = x/Σx, e = −Σ p ln p / ln 3 (0·ln 0 = 0):
  e1 = 1.071019/1.098612 = 0.974884, e2 = 0.500402/1.098612 = 0.455482, e3 = 1.079529/1.098612 = 0.982623,
  e4 = 1.091786/1.098612 = 0.993787; d = 1 − e = 0.025116, 0.544518, 0.017377, 0.006213 (Σ 0.593224);
  w = 0.04234, 0.91790, 0.02929, 0.01047.
- 变异系数法 on stored inputs 网上办理率 = 90%, 50%, 70% and 事项覆盖率 = 60%, 80%, 100%: both have sample
  σ = 0.2; means 0.7 and 0.8; v = 0.285714, 0.25; w = 0.285714/0.535714 = 0.533333, 0.466667.
- Combination with the Location AHP weights a = (0.1634, 0.2970) ... see test_combination.
"""

from __future__ import annotations

import pytest
from django.test import Client
from webtools import FIXTURES, PASSWORD, fill_all

from govassess.web.audit.models import AuditEntry
from govassess.web.rounds import services as rounds
from govassess.web.weighting.models import ObjectiveWeighting, WeightingTask


def login(username: str) -> Client:
    c = Client()
    assert c.login(username=username, password=PASSWORD)
    return c


@pytest.fixture
def scored(org):
    fill_all(org, d3=("70%", "未接入", "6", "10", "8"))
    rounds.round_transition(user=org.office, round=org.round, to_state="reviewing")
    rounds.scoring_start(user=org.office, round=org.round, background=False)
    return org


def test_entropy_from_the_rounds_score_rates(scored):
    office = login("office")
    resp = office.post(
        "/weighting/objective/new/",
        {"target": f"{scored.round.pk}:", "method": "entropy", "source": "scores", "normalise": "none"},
        follow=True,
    )
    html = resp.content.decode()
    assert "已按熵权法计算 4 个指标的权重" in html, html
    ow = ObjectiveWeighting.objects.get()
    assert ow.result["criteria"] == ["1", "2", "3", "4"]
    assert sorted(ow.result["units"]) == ["D01", "D02", "D03"]
    assert ow.result["weights"] == pytest.approx([0.04234, 0.91790, 0.02929, 0.01047], abs=1e-4)
    assert "0.9179" in html
    assert AuditEntry.objects.filter(action="weighting_objective", round=scored.round).exists()


def test_stored_inputs_that_are_not_one_number_are_named(scored):
    resp = login("office").post(
        "/weighting/objective/new/",
        {"target": f"{scored.round.pk}:", "method": "entropy", "source": "inputs"},
        follow=True,
    )
    html = resp.content.decode()
    assert "指标 2" in html and "接入方式（选项）" in html and "指标 3" in html and "指标得分率" in html
    assert not ObjectiveWeighting.objects.exists()


def test_direction_needs_minmax(scored):
    resp = login("office").post(
        "/weighting/objective/new/",
        {"target": f"{scored.round.pk}:", "method": "entropy", "source": "scores", "less_better": "3"},
        follow=True,
    )
    assert "请同时选择「极差标准化」" in resp.content.decode()
    assert not ObjectiveWeighting.objects.exists()
    resp = login("office").post(
        "/weighting/objective/new/",
        {"target": f"{scored.round.pk}:", "method": "entropy", "source": "scores", "normalise": "minmax",
         "less_better": "3, 9"},
        follow=True,
    )
    assert "越小越好的指标 9 不在所选范围内；可填的指标编码为：1、2、3、4" in resp.content.decode()
    assert not ObjectiveWeighting.objects.exists()
    # with min–max: accepted, direction recorded
    login("office").post(
        "/weighting/objective/new/",
        {"target": f"{scored.round.pk}:", "method": "critic", "source": "scores", "normalise": "minmax",
         "less_better": "3"},
    )
    assert ObjectiveWeighting.objects.get().less_better == ["3"]


@pytest.fixture
def inputs_round(org):
    """A round (left in draft, so its system stays a draft too) with 网上办理率 and 事项覆盖率 entered."""
    from govassess.web.systems.services import system_import

    system = system_import(user=None, source=str(FIXTURES / "weighting-objective.yaml"))
    rnd = rounds.round_create(user=org.office, system=system, name="往期")
    for unit, a, b in ((org.d1, "90%", "60%"), (org.d2, "50%", "80%"), (org.d3, "70%", "100%")):
        rounds.input_value_set(user=org.office, round=rnd, unit=unit, indicator="1", input="网上办理率", value=a)
        rounds.input_value_set(user=org.office, round=rnd, unit=unit, indicator="6", input="事项覆盖率", value=b)
    org.past = rnd
    return org


def test_cv_from_stored_inputs(inputs_round):
    login("office").post(
        "/weighting/objective/new/", {"target": f"{inputs_round.past.pk}:A", "method": "cv", "source": "inputs"}
    )
    ow = ObjectiveWeighting.objects.get()
    assert ow.result["criteria"] == ["1", "6"]
    assert ow.result["weights"] == pytest.approx([0.533333, 0.466667], abs=1e-6)


def test_a_unit_with_a_missing_value_is_named(inputs_round):
    from govassess.web.rounds.models import InputValue

    InputValue.objects.filter(round=inputs_round.past, unit=inputs_round.d2, indicator="6").delete()
    html = login("office").post(
        "/weighting/objective/new/",
        {"target": f"{inputs_round.past.pk}:A", "method": "cv", "source": "inputs"},
        follow=True,
    ).content.decode()
    assert "单位 D02 缺少「事项覆盖率」的填报值" in html and "指标 6" in html
    assert not ObjectiveWeighting.objects.exists()


def test_combination_with_ahp(inputs_round):
    # An AHP task on the same two leaves: one expert, a_12 = 3 → a = (0.75, 0.25).
    # Objective (CV above) b = (0.533333, 0.466667).
    # Multiplicative: ab = 0.4, 0.116667 → w = 0.774194, 0.225806.  Linear α = 0.6: 0.6a + 0.4b = 0.663333, 0.336667.
    from govassess.web.systems.services import system_import

    draft = system_import(user=None, source=str(FIXTURES / "weighting-draft.yaml"))
    office = login("office")
    office.post("/weighting/objective/new/", {"target": f"{inputs_round.past.pk}:A", "method": "cv", "source": "inputs"})
    ow = ObjectiveWeighting.objects.get()
    # weighting-draft's A has three criteria (1, 2, 6): not combinable with weights of (1, 6)
    office.post("/weighting/tasks/new/", {"target": f"{draft.pk}:A"})
    task3 = WeightingTask.objects.get()
    resp = office.post(f"/weighting/tasks/{task3.pk}/combine/", {"objective": ow.pk}, follow=True)
    assert "与本任务的比较元素" in resp.content.decode()
    # weighting-objective's own node A (1, 6): that system is used only by a draft round, so still a draft
    office.post("/weighting/tasks/new/", {"target": f"{inputs_round.past.system.pk}:A"})
    task = WeightingTask.objects.exclude(pk=task3.pk).get()
    office.post(f"/weighting/tasks/{task.pk}/invite/", {"expert": inputs_round.reviewer.pk})
    login("reviewer").post(f"/weighting/tasks/{task.pk}/matrix/", {"a_0_1": "3"})
    office.post(f"/weighting/tasks/{task.pk}/combine/", {"objective": ow.pk, "how": "multiplicative"})
    from govassess.web.weighting.services import combined_weights

    task.refresh_from_db()
    assert combined_weights(task) == pytest.approx([0.774194, 0.225806], abs=1e-6)
    html = office.get(f"/weighting/tasks/{task.pk}/").content.decode()
    assert "0.7742" in html and "乘法合成" in html
    office.post(f"/weighting/tasks/{task.pk}/combine/", {"objective": ow.pk, "how": "linear", "alpha": "0.6"})
    task.refresh_from_db()
    assert combined_weights(task) == pytest.approx([0.663333, 0.336667], abs=1e-6)
    resp = office.post(f"/weighting/tasks/{task.pk}/combine/", {"objective": ow.pk, "how": "linear", "alpha": "2"},
                       follow=True)
    assert "α 应在 0 到 1 之间" in resp.content.decode()
    assert AuditEntry.objects.filter(action="weighting_combine").count() == 2


def test_only_the_office(scored):
    for user in ("filler1", "reviewer", "provider", "leader"):
        c = login(user)
        resp = c.post("/weighting/objective/new/", {"target": f"{scored.round.pk}:", "method": "entropy",
                                                     "source": "scores"})
        assert resp.status_code == 403, user
    assert not ObjectiveWeighting.objects.exists()


def test_negative_inputs_need_minmax_in_the_forms_words(inputs_round):
    from govassess.web.rounds.models import InputValue

    InputValue.objects.filter(round=inputs_round.past, unit=inputs_round.d2, indicator="6").update(value="-5")
    html = login("office").post(
        "/weighting/objective/new/",
        {"target": f"{inputs_round.past.pk}:A", "method": "entropy", "source": "inputs"},
        follow=True,
    ).content.decode()
    assert "有负值（D02：-5）" in html and "请使用「极差标准化」" in html and "--normalise" not in html
    assert not ObjectiveWeighting.objects.exists()


def test_a_leaf_not_applicable_to_some_units_is_named(scored):
    from govassess.web.rounds.models import ScoringRun

    run = ScoringRun.objects.filter(round=scored.round, status="done").latest("id")
    results = run.results
    for u in results["units"]:
        if u["unit"] in ("D02", "D03"):
            u["indicators"]["3"]["applicable"] = False
    ScoringRun.objects.filter(pk=run.pk).update(results=results)
    html = login("office").post(
        "/weighting/objective/new/",
        {"target": f"{scored.round.pk}:", "method": "entropy", "source": "scores"},
        follow=True,
    ).content.decode()
    assert "指标 3" in html and ("对 D02、D03 不适用" in html or "对 D03、D02 不适用" in html)
    assert not ObjectiveWeighting.objects.exists()
    # node A (leaves 1, 2) is fine
    login("office").post("/weighting/objective/new/",
                         {"target": f"{scored.round.pk}:A", "method": "entropy", "source": "scores"})
    assert ObjectiveWeighting.objects.get().result["criteria"] == ["1", "2"]
