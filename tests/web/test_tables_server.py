"""Issue 17: the long tables (completeness, review queue, ranking) sort by any column and page on the server —
plain links, so they work without JavaScript. Three 市级部门 units in the round (D01–D03), pages of two rows."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from webtools import fill_all

from govassess.web.rounds import services


@pytest.fixture(autouse=True)
def _two_per_page(settings):
    settings.TABLE_PAGE_SIZE = 2


def _office(org) -> Client:
    client = Client()
    client.force_login(org.office)
    return client


def _names(html: str, table_id: str) -> list[str]:
    body = re.search(rf'id="{table_id}"[^>]*>.*?<tbody>(.*?)</tbody>', html, re.S)[1]
    return re.findall(r"(市委[^<（]+)", body)


def test_completeness_pages_sorts_and_searches_on_the_server(org):
    fill_all(org)  # D01 and D02 complete, D03 nothing
    client, url = _office(org), f"/rounds/{org.round.pk}/completeness/"
    html = client.get(url).content.decode()
    assert _names(html, "completeness-table") == [org.d1.name, org.d2.name]
    assert 'data-server-pages="2"' in html and "第 1 / 2 页（第 1–2 条，共 3 条）" in html
    assert 'href="?page=2"' in html and 'href="?sort=unit&amp;dir=asc"' in html
    html = client.get(url + "?page=2").content.decode()
    assert _names(html, "completeness-table") == [org.d3.name] and 'href="?page=1"' in html
    # Sorted by completeness, lowest first: D03 (0%) before the two complete units.
    html = client.get(url + "?sort=percent&dir=asc").content.decode()
    assert _names(html, "completeness-table")[0] == org.d3.name
    assert 'aria-sort="ascending"' in html and "完成度 ▲" in html
    # Clicking the same header again reverses it; the page resets to 1.
    assert 'href="?sort=percent&amp;dir=desc"' in html
    html = client.get(url + "?sort=unit&dir=desc").content.decode()
    assert _names(html, "completeness-table") == [org.d3.name, org.d2.name]
    # Search on the server: every word must occur; the count says how many of all.
    html = client.get(url + "?q=宣传").content.decode()
    assert _names(html, "completeness-table") == [org.d2.name] and "共 1 条（全部 3 条）" in html
    assert "data-server-filtered" in html
    # Malformed parameters fall back to the defaults.
    resp = client.get(url + "?page=x&sort=nonsense&dir=sideways")
    assert resp.status_code == 200 and _names(resp.content.decode(), "completeness-table") == [
        org.d1.name,
        org.d2.name,
    ]


def test_review_queue_sorts_by_status_in_the_order_of_the_work(org):
    fill_all(org)
    services.submission_submit(user=org.filler2, round=org.round, unit=org.d2)
    client, url = _office(org), f"/rounds/{org.round.pk}/review/"
    html = client.get(url + "?sort=status&dir=asc").content.decode()
    # submitted (D02) before draft (D01 has a submission row only if it submitted: the queue lists D02 only)
    assert _names(html, "review-table")[0] == org.d2.name
    assert 'href="?sort=submitted&amp;dir=asc"' in html


def test_ranking_sorts_and_pages_per_class_table(org):
    fill_all(org)
    services.round_transition(user=org.office, round=org.round, to_state="reviewing")
    services.scoring_start(user=org.office, round=org.round, background=False)
    client, url = _office(org), f"/rounds/{org.round.pk}/results/"
    # By rank: D01 89, D02 46, D03 0 — page 1 holds the first two.
    html = client.get(url).content.decode()
    assert _names(html, "ranking-1") == [org.d1.name, org.d2.name]
    assert 'href="?c1-page=2"' in html
    # Total ascending: D03 (0) first.
    html = client.get(url + "?c1-sort=score&c1-dir=asc").content.decode()
    assert _names(html, "ranking-1") == [org.d3.name, org.d2.name]
    html = client.get(url + "?c1-sort=score&c1-dir=asc&c1-page=2").content.decode()
    assert _names(html, "ranking-1") == [org.d1.name]
