"""Issue 17: in a class of two units a unit's scorecard must not show the class average — the average and
the unit's own total give the other unit's total (before publication), the radar's average and the unit's
own first-level scores give the other's first-level scores (even after). Hand computation from web-mini.yaml
and webtools.fill_all: D01 = 90%×60 + 是 20 + 8/10×10 + expert 7 = 89; D02 = 50%×60 + 否 5 + 5/10×10 + 6 = 46.
First level B (数据共享, 20 points): D01 (8 + 7)/20 = 75%, D02 (5 + 6)/20 = 55%, average 65.0."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from webtools import PASSWORD, fill_all

from govassess.web.organisation.models import Unit
from govassess.web.rounds import services

WITHHELD = "本类别单位少于 3 个，不显示平均分"


def _client(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def _charts(html: str) -> dict:
    return json.loads(
        re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', html, re.S)[1]
    )


def _score(org, *, final: bool, two: bool = True):
    if two:
        Unit.objects.filter(code="D03").delete()  # 市级部门 now has D01 and D02 only
    fill_all(org)
    services.round_transition(user=org.office, round=org.round, to_state="reviewing")
    services.scoring_start(user=org.office, round=org.round, background=False)
    services.round_transition(user=org.office, round=org.round, to_state="preliminary")
    if final:
        services.round_transition(user=org.office, round=org.round, to_state="final")


@pytest.mark.parametrize("final", [False, True])
def test_a_unit_in_a_class_of_two_sees_no_average(org, final):
    _score(org, final=final)
    url = f"/rounds/{org.round.pk}/units/D01/scorecard/"
    html = _client("filler1").get(url).content.decode()
    charts = _charts(html)
    assert WITHHELD in html
    assert charts["radar"]["average"] is None
    assert charts["radar"]["unit"][1] == 75.0
    assert "同类平均" not in json.dumps(charts, ensure_ascii=False)
    if final:
        # Published: the ranking of totals is public anyway (通报排名), the bar shows it.
        assert charts["bar"]["scores"] == [89, 46]
    else:
        # Before: the unit alone — no (89 + 46) / 2 = 67.5 anywhere.
        assert charts["bar"] == {"names": [org.d1.name], "scores": [89], "highlight": org.d1.name}
        assert "67.5" not in html and org.d2.name not in html
    # The office and reviewers still compare with the average.
    office = _charts(_client("office").get(url).content.decode())
    assert office["radar"]["average"][1] == 65.0
    assert WITHHELD not in _client("reviewer").get(url).content.decode()


def test_a_class_of_three_still_shows_the_average(org):
    _score(org, final=False, two=False)
    html = _client("filler1").get(f"/rounds/{org.round.pk}/units/D01/scorecard/").content.decode()
    charts = _charts(html)
    assert WITHHELD not in html
    # (89 + 46 + 0) / 3 = 45; B: (75 + 55 + 0) / 3 = 43.3
    assert charts["bar"]["scores"] == [89, 45]
    assert charts["radar"]["average"][1] == 43.3
