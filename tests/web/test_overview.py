"""Leader dashboard, fill-form navigation and draft autosave hooks, table tools (issue 17, "Read like a
mature product"). Browser behaviour of the JS is in test_browser.py; these check the server side."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from webtools import PASSWORD, fill_all

from govassess.web.rounds import selectors, services


def login(client, username):
    assert client.login(username=username, password=PASSWORD)
    return client


def publish(org, rnd):
    for state in ("reviewing",):
        services.round_transition(user=org.office, round=rnd, to_state=state)
    services.scoring_start(user=org.office, round=rnd, background=False)
    for state in ("preliminary", "final"):
        services.round_transition(user=org.office, round=rnd, to_state=state)


@pytest.fixture
def two_rounds(org):
    """Round 1 with the default figures (D01 89, D02 46: hand computation in test_services), published;
    round 2 where D01 reports 80% instead of 90% online handling, published after it."""
    fill_all(org)
    publish(org, org.round)
    second = services.round_create(
        user=org.office, system=org.system, name="2021年下半年", deadline=timezone.now() + timedelta(days=7)
    )
    services.round_transition(user=org.office, round=second, to_state="collecting")
    fill_all(org, second, d1=("80%", "是", "8", "10", "7"))
    publish(org, second)
    org.second = second
    return org


def test_overview_kpis_and_change_since_last_round(two_rounds, client):
    org = two_rounds
    o = selectors.leader_overview(org.second)
    rows = {r["unit"]: r for r in o["rows"]}
    # D01: indicator 1 is 网上办理率×60, so 80% gives 48 instead of 54: 89 − 6 = 83.
    assert rows["D01"]["score"] == pytest.approx(83.0)
    assert rows["D01"]["previous"] == pytest.approx(89.0)
    assert rows["D01"]["change"] == pytest.approx(-6.0)
    # D02 unchanged at 46, same rank: no change.
    assert rows["D02"]["score"] == pytest.approx(46.0)
    assert rows["D02"]["change"] == pytest.approx(0.0)
    assert rows["D02"]["rank_change"] == 0
    assert o["previous"].pk == org.round.pk
    assert o["declined"] >= 1 and o["unchanged"] >= 1
    scored = [r["score"] for r in o["rows"]]
    assert o["units"] == len(scored)
    assert o["average"] == pytest.approx(round(sum(scored) / len(scored), 2))
    # distribution: 83 falls in 80–90, 46 in 40–50
    bands = dict(zip(o["chart"]["bands"], o["chart"]["counts"]))
    assert bands["80–90"] >= 1 and bands["40–50"] >= 1
    assert sum(o["chart"]["counts"]) == len(scored)
    # the first round has no earlier published round to compare with
    first = selectors.leader_overview(org.round)
    assert first["previous"] is None
    assert all(r["change"] is None for r in first["rows"])

    login(client, "leader")
    resp = client.get(f"/rounds/{org.second.pk}/overview/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "领导驾驶舱" in html and "与上一轮比较" in html and "2021年上半年" in html
    assert "↓ 6.00" in html
    assert 'id="overview-data"' in html and "echarts.min.js" in html


def test_overview_is_closed_before_publication_and_to_other_roles(org, client):
    fill_all(org)
    services.round_transition(user=org.office, round=org.round, to_state="reviewing")
    services.scoring_start(user=org.office, round=org.round, background=False)
    services.round_transition(user=org.office, round=org.round, to_state="preliminary")
    url = f"/rounds/{org.round.pk}/overview/"
    for who in ("office", "leader", "filler1", "reviewer"):
        client.logout()
        login(client, who)
        assert client.get(url).status_code in (403, 404), who
    services.round_transition(user=org.office, round=org.round, to_state="final")
    for who, status in (("office", 200), ("leader", 200), ("filler1", 403), ("reviewer", 403), ("provider", 403)):
        client.logout()
        login(client, who)
        resp = client.get(url)
        assert resp.status_code == status, who
        if status == 403:
            assert "89.00" not in resp.content.decode()


def test_fill_form_has_section_nav_and_draft_hooks(org, client):
    login(client, "filler1")
    url = f"/rounds/{org.round.pk}/units/D01/"
    html = client.get(url).content.decode()
    assert f'data-user="{org.filler1.pk}" data-round="{org.round.pk}" data-unit="D01"' in html
    assert 'id="draft-notice"' in html and "ui.js" in html
    assert "data-draft-saved" not in html
    # each value input is marked for the progress counter
    assert html.count('class="value"') >= 2
    form = client.get(url).context
    rows = [row for g in form["groups"] for ind in g.indicators for row in ind["rows"]]
    key = {row.field.key: row.i for row in rows}
    i = key["1::网上办理率"]
    data = {"count": str(len(rows)), f"key_{i}": "1::网上办理率", f"v_{i}": "90%", f"ov_{i}": "", f"on_{i}": ""}
    resp = client.post(url, data, follow=True)
    assert "已保存 1 项" in resp.content.decode()
    # the page after a clean save tells ui.js to drop the browser draft, only once
    assert "data-draft-saved" in resp.content.decode()
    assert "data-draft-saved" not in client.get(url).content.decode()
    # a stale version (someone saved in between) is a conflict: the draft is kept
    data.update({f"v_{i}": "95%", f"ov_{i}": "", f"ver_{i}": "0"})
    resp = client.post(url, data, follow=True)
    assert "data-draft-saved" not in resp.content.decode()


def test_long_tables_get_tools_and_work_without_js(org, client):
    fill_all(org)
    login(client, "office")
    r = org.round.pk
    html = client.get(f"/rounds/{r}/completeness/").content.decode()
    assert 'data-table-tools id="completeness-table"' in html and "ui.js" in html
    # without JS every row is in the page (the pager only hides rows client-side)
    for name in ("市委办公室(市档案局)", "市委宣传部(新闻出版局)", "市委统战部(民宗、侨务)"):
        assert name in html
    assert 'data-table-tools id="review-table"' in client.get(f"/rounds/{r}/review/").content.decode()
