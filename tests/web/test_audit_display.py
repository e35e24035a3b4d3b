"""The round's audit log for people: Chinese action names, unit and indicator names, before → after as
values, Beijing time, filters by name and date — on the page and in its Excel export."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from govassess.web.audit.models import AuditEntry
from govassess.web.rounds import services


def _office(org) -> Client:
    client = Client()
    client.force_login(org.office)
    return client


def _setup(org):
    org.filler1.first_name = "张三"
    org.filler1.save()
    services.input_value_set(
        user=org.filler1, round=org.round, unit=org.d1, indicator="1", input="网上办理率", value="80%"
    )
    services.input_value_set(
        user=org.filler1,
        round=org.round,
        unit=org.d1,
        indicator="1",
        input="网上办理率",
        value="85%",
        expected_version=1,
    )
    services.input_value_set(
        user=org.filler2, round=org.round, unit=org.d2, indicator="2", input="接入方式", value="是"
    )
    # 2021-06-30 16:30 UTC is 2021-07-01 00:30 in Beijing: the date the person sees and filters by.
    AuditEntry.objects.filter(username="filler2").update(at=datetime(2021, 6, 30, 16, 30, tzinfo=UTC))


def test_audit_page_reads_in_chinese(org):
    _setup(org)
    resp = _office(org).get(reverse("round_audit", args=[org.round.pk]), {"unit": "D01"})
    text = resp.content.decode()
    rows = resp.context["rows"]
    assert [r.action for r in rows] == ["填报或修改数据", "填报或修改数据"]
    latest = rows[0]
    assert latest.actor == "张三（filler1）"
    assert latest.unit == "市委办公室(市档案局)（D01）"
    assert latest.indicator == "1 网上办理率"
    # The note was empty before and after: not listed.
    assert [(c.label, c.before, c.after) for c in latest.changes] == [("数值", "80%", "85%")]
    assert "数值：80% → 85%" in text
    assert ">input_set<" not in text and "{&#x27;" not in text


def test_audit_times_are_beijing_time_and_dates_filter_in_it(org):
    _setup(org)
    client = _office(org)
    resp = client.get(
        reverse("round_audit", args=[org.round.pk]), {"date_from": "2021-07-01", "date_to": "2021-07-01"}
    )
    rows = resp.context["rows"]
    assert [(r.actor, r.at) for r in rows] == [("filler2", "2021-07-01 00:30:00")]
    resp = client.get(reverse("round_audit", args=[org.round.pk]), {"date_to": "2021-06-30"})
    assert resp.context["rows"] == []


def test_audit_filters_by_name(org):
    _setup(org)
    client = _office(org)
    url = reverse("round_audit", args=[org.round.pk])
    assert {r.actor for r in client.get(url, {"actor": "张三"}).context["rows"]} == {"张三（filler1）"}
    assert {r.unit for r in client.get(url, {"unit": "宣传部"}).context["rows"]} == {
        "市委宣传部(新闻出版局)（D02）"
    }
    assert {r.indicator for r in client.get(url, {"indicator": "接入"}).context["rows"]} == {"2 接入方式"}
    resp = client.get(url, {"action": "input_set"})
    assert len(resp.context["rows"]) == 3
    assert ("input_set", "填报或修改数据") in resp.context["actions"]


def test_unreadable_date_is_said_and_not_applied(org):
    _setup(org)
    client = _office(org)
    everything = len(client.get(reverse("round_audit", args=[org.round.pk])).context["rows"])
    resp = client.get(reverse("round_audit", args=[org.round.pk]), {"date_from": "7/1/2021"})
    assert "起始日期「7/1/2021」无法识别，应为 年-月-日" in resp.content.decode()
    assert len(resp.context["rows"]) == everything


def test_audit_export_matches_the_page(org):
    _setup(org)
    resp = _office(org).get(reverse("round_audit_export", args=[org.round.pk]), {"unit": "D02"})
    rows = list(load_workbook(io.BytesIO(resp.content)).active.iter_rows(values_only=True))
    assert rows[0] == (
        "时间（北京时间）",
        "操作人",
        "来源地址",
        "操作",
        "对象",
        "评估对象",
        "指标",
        "修改前",
        "修改后",
    )
    assert rows[1][0] == "2021-07-01 00:30:00"
    assert rows[1][3:7] == ("填报或修改数据", rows[1][4], "市委宣传部(新闻出版局)（D02）", "2 接入方式")
    assert "数值：是" in rows[1][8]
