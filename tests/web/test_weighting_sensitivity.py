"""Rank sensitivity on the results and appeal pages, as a background job (issue 11, web part 4).

Hand computation. web-mini, all leaves applicable for D01, D02, D03 (same points p = 60, 20, 10, 10):
D01 (90%, 是, 8/10, 7) scores 54 + 20 + 8 + 7 = 89; D03 (88%, 是, 9/10, 8) 52.8 + 20 + 9 + 8 = 89.8;
D02 (50%, 否, 5/10, 6) 30 + 5 + 5 + 6 = 46. Published ranks: D03 1, D01 2, D02 3.
With leaf weights multiplied by m_j ~ U(1 − x, 1 + x) both share the denominator Σ p_j m_j, so D01 passes D03
exactly when Σ (s_D01 − s_D03)_j m_j > 0, i.e. 1.2 m1 > m3 + m4 (leaf 2 is equal).
- x = 10 %: 1.2 m1 ≤ 1.32 < 1.8 ≤ m3 + m4: never; every rank is kept (interval [r, r], share 1).
- x = 50 %: X = 1.2 m1 ~ U(0.6, 1.8), S = m3 + m4 triangular on [1, 3] with P(S ≤ s) = (s − 1)²/2 on [1, 2]:
  P(X > S) = ∫_1^1.8 (x − 1)²/2 · dx/1.2 = 0.512/7.2 = 0.0711. So D03 and D01 keep their ranks in ≈ 92.9 % of
  samples, both range over ranks 1–2; D02 (Σ (s_D01 − s_D02) m = 24 m1 + 15 m2 + 3 m3 + m4 > 0) stays 3rd.
  2000 samples: standard error √(0.0711·0.9289/2000) = 0.0057; the test allows 0.02.
"""

from __future__ import annotations

import pytest
from django.test import Client
from webtools import PASSWORD, fill_all

from govassess.web.audit.models import AuditEntry
from govassess.web.rounds import services as rounds
from govassess.web.rounds.models import Appeal
from govassess.web.weighting.models import SensitivityRun


def login(username: str) -> Client:
    c = Client()
    assert c.login(username=username, password=PASSWORD)
    return c


@pytest.fixture
def scored(org):
    fill_all(org, d3=("88%", "是", "9", "10", "8"))
    rounds.round_transition(user=org.office, round=org.round, to_state="reviewing")
    rounds.scoring_start(user=org.office, round=org.round, background=False)
    return org


def run(org, settings, perturb="50", samples="2000", seed="1"):
    """Start through the page with jobs left for a worker, then run the worker once (the JobKind path)."""
    from govassess.web.jobs import worker_main

    settings.GOVASSESS_JOBS = "worker"
    url = f"/rounds/{org.round.pk}/results/"
    resp = login("office").post(f"/rounds/{org.round.pk}/sensitivity/start/",
                                {"perturb": perturb, "samples": samples, "seed": seed, "next": url})
    assert resp.status_code == 302 and resp["Location"] == url
    assert SensitivityRun.objects.filter(status="queued").count() == 1
    assert worker_main(once=True) == 0  # one pass over the queue (django-tasks database worker)
    job = SensitivityRun.objects.latest("id")
    assert job.status == "done", job.message
    return {u["unit"]: u for u in job.results["units"]}


def test_small_perturbation_keeps_every_rank(scored, settings):
    units = run(scored, settings, perturb="10")
    assert {c: (u["rank"], u["rank_min"], u["rank_max"], u["rank_kept_share"]) for c, u in units.items()} == {
        "D03": (1, 1, 1, 1.0), "D01": (2, 2, 2, 1.0), "D02": (3, 3, 3, 1.0)}
    # The swap of D03 and D01 by one leaf's weight: their totals tie when Σ (s_D03 − s_D01)_j m_j = 0, i.e.
    # −1.2 m1 + m3 + m4 = 0. Leaf 1 alone: m1 = 2/1.2 = 1.6667 (δ = +0.6667); leaf 3 or 4 alone: m = 0.2
    # (δ = −0.8). The smallest change is leaf 1 × 1.6667: its share 0.6 becomes 1.0/1.4 = 0.714286.
    swap = SensitivityRun.objects.latest("id").results["swaps"][0]
    assert (swap["upper"], swap["lower"], swap["indicator"]) == ("D03", "D01", "1")
    assert swap["factor"] == pytest.approx(2 / 1.2, abs=1e-4)
    assert swap["weight_from"] == pytest.approx(0.6) and swap["weight_to"] == pytest.approx(1 / 1.4, abs=1e-4)


def test_large_perturbation_swaps_the_near_tie(scored, settings):
    units = run(scored, settings)
    assert (units["D03"]["rank_min"], units["D03"]["rank_max"]) == (1, 2)
    assert (units["D01"]["rank_min"], units["D01"]["rank_max"]) == (1, 2)
    assert (units["D02"]["rank_min"], units["D02"]["rank_max"], units["D02"]["rank_kept_share"]) == (3, 3, 1.0)
    assert units["D03"]["rank_kept_share"] == pytest.approx(1 - 0.512 / 7.2, abs=0.02)
    assert units["D01"]["rank_kept_share"] == pytest.approx(1 - 0.512 / 7.2, abs=0.02)
    # repeatable: the same seed gives the same shares
    again = run(scored, settings)
    assert again["D03"]["rank_kept_share"] == units["D03"]["rank_kept_share"]
    entry = AuditEntry.objects.filter(action="sensitivity_start").first()
    assert entry.round_id == scored.round.pk and entry.after["seed"] == 1 and entry.after["perturb"] == "±50%"


def test_results_page_shows_table_chart_and_parameters(scored, settings):
    run(scored, settings)
    for user in ("office", "reviewer"):
        html = login(user).get(f"/rounds/{scored.round.pk}/results/").content.decode()
        assert 'id="sensitivity-table"' in html and 'id="sensitivity-chart"' in html, user
        assert "扰动幅度 ±50%" in html and "抽样 2000 次，随机种子 1" in html
        assert 'data-unit="D01"' in html and 'data-unit="D02"' in html
        assert "chartkit.js" in html and "sensitivity-data" in html
        assert ('id="sensitivity-form"' in html) == (user == "office")  # reviewers see, the office runs
        swaps = html.split('id="sensitivity-swaps"')[1].split("</table>")[0]
        assert "市委统战部(民宗、侨务)（第 1 名）" in swaps and "市委办公室(市档案局)（第 2 名）" in swaps


def test_units_and_leaders_see_nothing_of_it(scored, settings):
    run(scored, settings)
    rounds.round_transition(user=scored.office, round=scored.round, to_state="preliminary")
    for user in ("filler1", "filler2", "provider"):
        c = login(user)
        assert "名次敏感性" not in c.get(f"/rounds/{scored.round.pk}/results/").content.decode(), user
        assert c.post(f"/rounds/{scored.round.pk}/sensitivity/start/", {"perturb": "10", "samples": "100",
                                                                       "seed": "1"}).status_code == 403
    assert login("reviewer").post(f"/rounds/{scored.round.pk}/sensitivity/start/",
                                  {"perturb": "10", "samples": "100", "seed": "1"}).status_code == 403
    # once final, units and leaders read the ranking on the results page, still without the panel
    rounds.round_transition(user=scored.office, round=scored.round, to_state="final")
    for user in ("filler1", "leader"):
        resp = login(user).get(f"/rounds/{scored.round.pk}/results/")
        html = resp.content.decode()
        assert resp.status_code == 200 and "总分" in html, user
        assert "名次敏感性" not in html and "sensitivity" not in html, user
    assert 'id="sensitivity-table"' in login("office").get(f"/rounds/{scored.round.pk}/results/").content.decode()


def test_appeal_page_shows_only_the_appealing_unit(scored, settings):
    run(scored, settings)
    rounds.round_transition(user=scored.office, round=scored.round, to_state="preliminary")
    appeal = Appeal.objects.create(round=scored.round, unit=scored.d1, indicator="2", reason="测试")
    html = login("reviewer").get(f"/appeals/{appeal.pk}/").content.decode()
    assert 'id="sensitivity-table"' in html
    assert 'data-unit="D01"' in html and 'data-unit="D02"' not in html and 'data-unit="D03"' not in html
    assert 'id="sensitivity-form"' not in html
    own = login("filler1").get(f"/appeals/{appeal.pk}/").content.decode()
    assert "sensitivity" not in own and "名次敏感性" not in own


def test_bad_parameters_are_named_and_nothing_started(scored):
    html = login("office").post(f"/rounds/{scored.round.pk}/sensitivity/start/",
                                {"perturb": "150", "samples": "abc", "seed": "-1"}, follow=True).content.decode()
    assert "字段 扰动幅度" in html and "字段 抽样次数" in html and "字段 随机种子" in html
    assert not SensitivityRun.objects.exists()


def test_final_round_refuses_a_new_run(scored, settings):
    run(scored, settings, perturb="10", samples="100")
    rounds.round_transition(user=scored.office, round=scored.round, to_state="preliminary")
    rounds.round_transition(user=scored.office, round=scored.round, to_state="final")
    office = login("office")
    html = office.post(f"/rounds/{scored.round.pk}/sensitivity/start/", {"perturb": "10", "samples": "100",
                                                                         "seed": "1"}, follow=True).content.decode()
    assert "已定稿" in html
    assert SensitivityRun.objects.count() == 1
    page = office.get(f"/rounds/{scored.round.pk}/results/").content.decode()
    assert 'id="sensitivity-table"' in page and 'id="sensitivity-form"' not in page  # the last result stays


def test_no_results_yet(org):
    rounds.round_transition(user=org.office, round=org.round, to_state="reviewing")
    html = login("office").post(f"/rounds/{org.round.pk}/sensitivity/start/",
                                {"perturb": "10", "samples": "100", "seed": "1"}, follow=True).content.decode()
    assert "尚无评分结果" in html


def test_dirichlet_mode_shows_its_concentration(scored, settings):
    from govassess.web.jobs import worker_main

    settings.GOVASSESS_JOBS = "worker"
    login("office").post(f"/rounds/{scored.round.pk}/sensitivity/start/",
                         {"perturb": "10", "samples": "200", "seed": "7", "mode": "dirichlet"})
    worker_main(once=True)
    job = SensitivityRun.objects.get()
    assert job.status == "done" and job.results["mode"] == "dirichlet" and job.results["concentration"] == 200
    html = login("office").get(f"/rounds/{scored.round.pk}/results/").content.decode()
    assert "狄利克雷抽样（以现有权重为中心，集中度 κ = 200）" in html and "随机种子 7" in html


def test_the_rounds_audit_page_reads_in_chinese(scored, settings):
    run(scored, settings, perturb="10", samples="100", seed="3")
    login("office").post("/weighting/objective/new/",
                         {"target": f"{scored.round.pk}:", "method": "entropy", "source": "scores"})
    html = login("office").get(f"/rounds/{scored.round.pk}/audit/").content.decode()
    assert "运行名次敏感性分析" in html and "随机种子：3" in html and "扰动方式：均匀扰动" in html
    assert "扰动层级：叶子指标" in html and "抽样次数：100" in html and "扰动幅度：±10%" in html
    assert "计算客观权重" in html and "方法：熵权法" in html and "来源：指标得分率" in html
    for english in ("perturb", "samples", "seed", "less_better", "normalise", "entropy", "uniform"):
        assert english not in html.split("<main>")[1].split("</main>")[0], english


def test_a_newer_scoring_marks_the_analysis_as_stale(scored, settings):
    run(scored, settings, perturb="10", samples="100")
    page = login("office").get(f"/rounds/{scored.round.pk}/results/").content.decode()
    assert 'id="sensitivity-stale"' not in page
    rounds.scoring_start(user=scored.office, round=scored.round, background=False)
    page = login("office").get(f"/rounds/{scored.round.pk}/results/").content.decode()
    assert 'id="sensitivity-stale"' in page and "请重新运行名次敏感性分析" in page
