"""AHP in headless Chromium (issue 11, web part 5): an invited expert fills the 3×3 "Location" matrix
[[1,1/2,1/3],[2,1,1/2],[3,2,1]] (job-choice exercise, "SEC 1.2", scribd 837305994; the same published example as
tests/methods/test_ahp.py: priorities 0.1634, 0.2970, 0.5396, CR = 0.004601/0.58 = 0.0079) in the browser, sees
the reciprocals appear and then the weights; the office applies them (node A's 60 points → 10, 18, 32 by the
largest remainder, worked in tests/web/test_weighting_apply.py). Screenshots at 1280 and 390 px."""

from __future__ import annotations

import pytest
from test_browser import CHROMIUM, SHOTS, WIDTHS, browser, no_page_overflow, sized_session  # noqa: F401
from webtools import FIXTURES

pytestmark = [pytest.mark.browser]


@pytest.fixture
def invited(org):
    from pathlib import Path

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    from govassess.web.systems.services import system_import
    from govassess.web.weighting import services

    org.draft = system_import(user=None, source=str(FIXTURES / "weighting-draft.yaml"))
    org.task = services.task_create(user=org.office, system=org.draft, node="A", name="服务能力三项指标赋权")
    services.task_invite(user=org.office, task=org.task, expert=org.reviewer)
    return org


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_expert_fills_the_matrix_and_the_office_applies(invited, live_server, browser, size):  # noqa: F811
    org, (w, h) = invited, WIDTHS[size]
    SHOTS.mkdir(parents=True, exist_ok=True)
    url = f"{live_server.url}/weighting/tasks/{org.task.pk}/"

    expert = sized_session(browser, live_server, "reviewer", w, h)
    expert.goto(f"{live_server.url}/notifications/")
    expert.locator("tr", has_text="服务能力三项指标赋权").locator("a", has_text="查看").click()
    expert.wait_for_url(url)
    assert expert.locator("#matrix select").count() == 3  # the upper triangle only
    for cell, value in (("a_0_1", "1/2"), ("a_0_2", "1/3"), ("a_1_2", "1/2")):
        expert.select_option(f"#{cell}", value)
    # the lower triangle shows the reciprocals as soon as a judgement is chosen
    assert [expert.inner_text(f"#low_{i}_{k}") for i, k in ((1, 0), (2, 0), (2, 1))] == ["2", "3", "2"]
    expert.click("#save-matrix")
    expert.wait_for_selector("text=通过一致性检验（CR = 0.0079）")
    assert expert.inner_text("#my-cr") == "CR = 0.0079"
    weights = expert.locator("#my-weights tbody tr").all_inner_texts()
    assert [r.split("\t") for r in weights] == [["网上办理率", "0.1634"], ["接入方式", "0.2970"], ["事项覆盖", "0.5396"]]
    expert.screenshot(path=str(SHOTS / f"ahp-expert-{size}.png"), full_page=True)
    if size == "phone":
        no_page_overflow(expert)

    office = sized_session(browser, live_server, "office", w, h)
    office.goto(url)
    assert "0.0079" in office.inner_text("#experts")
    assert "0.5396" in office.inner_text("#group-weights")
    office.fill("#version", "v2")
    office.click("#apply-button")
    office.wait_for_selector("text=已生成指标体系新版本")
    text = office.inner_text(".messages")
    assert "标识 weighting-draft-v2" in text
    assert "1 网上办理率 30 → 10" in text and "2 接入方式 20 → 18" in text and "6 事项覆盖 10 → 32" in text
    office.screenshot(path=str(SHOTS / f"ahp-office-{size}.png"), full_page=True)
    if size == "phone":
        no_page_overflow(office)


@pytest.fixture
def near_tie(org):
    """web-mini scored with D03 89.8, D01 89, D02 46 (see tests/web/test_weighting_sensitivity.py), in
    preliminary publication with an appeal of D01."""
    from pathlib import Path

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    from webtools import fill_all

    from govassess.web.rounds import services
    from govassess.web.rounds.models import Appeal

    fill_all(org, d3=("88%", "是", "9", "10", "8"))
    services.round_transition(user=org.office, round=org.round, to_state="reviewing")
    services.scoring_start(user=org.office, round=org.round, background=False)
    services.round_transition(user=org.office, round=org.round, to_state="preliminary")
    org.appeal = Appeal.objects.create(round=org.round, unit=org.d1, indicator="2", reason="名次敏感性")
    return org


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_sensitivity_runs_in_the_background_and_draws_rank_intervals(near_tie, live_server, browser, size):  # noqa: F811
    org, (w, h) = near_tie, WIDTHS[size]
    SHOTS.mkdir(parents=True, exist_ok=True)
    office = sized_session(browser, live_server, "office", w, h)
    office.goto(f"{live_server.url}/rounds/{org.round.pk}/results/")
    assert "尚未分析" in office.inner_text("#sensitivity")
    office.fill("#s-perturb", "50")
    office.click("#run-sensitivity")
    office.wait_for_selector("#sensitivity-table", timeout=60000)  # the page reloads itself until the job is done
    office.wait_for_function("window.govassessCharts && window.govassessCharts.length === 1")
    assert office.locator("#sensitivity-chart canvas").count() >= 1
    rows = {r.split("\t")[1]: r.split("\t")[2:5] for r in office.locator("#sensitivity-table tbody tr").all_inner_texts()}
    assert rows == {"市委统战部(民宗、侨务)": ["1", "1", "2"], "市委办公室(市档案局)": ["2", "1", "2"],
                    "市委宣传部(新闻出版局)": ["3", "3", "3"]}
    assert "扰动幅度 ±50%" in office.inner_text("#sensitivity-params")
    office.wait_for_timeout(600)  # let the 300 ms chart animation finish before the screenshot
    office.locator("#sensitivity").screenshot(path=str(SHOTS / f"sensitivity-{size}.png"))
    if size == "phone":
        no_page_overflow(office)

    # the reviewer reads the appealing unit's row on the appeal page, and only that one
    reviewer = sized_session(browser, live_server, "reviewer", w, h)
    reviewer.goto(f"{live_server.url}/appeals/{org.appeal.pk}/")
    reviewer.wait_for_function("window.govassessCharts && window.govassessCharts.length === 1")
    assert reviewer.locator("#sensitivity-table tbody tr").count() == 1
    assert "市委办公室(市档案局)" in reviewer.inner_text("#sensitivity-table")
