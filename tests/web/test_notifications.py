"""Notification texts (issue 17): proofread, sent only to the round's users, 「重新评分」 only after a rescore."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from webtools import PASSWORD, fill_all

from govassess.web.accounts.models import Role
from govassess.web.accounts.services import account_create
from govassess.web.rounds import services
from govassess.web.rounds.models import Notification


def _to(org, *states):
    for s in states:
        services.round_transition(user=org.office, round=org.round, to_state=s)


def _messages(user) -> list[str]:
    return list(Notification.objects.filter(user=user).order_by("id").values_list("message", flat=True))


@pytest.fixture
def preliminary(org):
    fill_all(org)
    _to(org, "reviewing")
    services.scoring_start(user=org.office, round=org.round, background=False)
    _to(org, "preliminary")
    return org


def _appeal(org):
    return services.appeal_file(
        user=org.filler2, round=org.round, unit=org.d2, indicator="2", reason="已接入"
    )


def test_upheld_appeal_with_correction_says_rescored(preliminary):
    org = preliminary
    ap = _appeal(org)
    # The reviewer and the office hear of the appeal, with round and indicator name.
    assert (
        _messages(org.reviewer)[-1]
        == "市委宣传部(新闻出版局) 对「2021年上半年」指标 2「接入方式」提出申诉，待处理。"
    )
    decided = services.appeal_decide(
        user=org.reviewer,
        appeal=ap,
        upheld=True,
        decision="核实已接入。",
        changes={"接入方式": "是"},
        background=False,
    )
    assert decided.rescore_run is not None
    assert _messages(org.filler2)[-1] == (
        "「2021年上半年」指标 2「接入方式」的申诉成立，相关数据已更正。处理意见：核实已接入。"
        "已按更正后的数据重新评分，请查看评分卡。"
    )
    assert not any("申诉申诉" in m for m in _messages(org.filler2))
    assert not any("申诉" in m for m in _messages(org.filler1))  # another unit's appeal


def test_rejected_appeal_says_no_rescore(preliminary):
    org = preliminary
    ap = _appeal(org)
    decided = services.appeal_decide(user=org.reviewer, appeal=ap, upheld=False, decision="材料不足")
    assert decided.rescore_run is None
    last = _messages(org.filler2)[-1]
    assert last == "「2021年上半年」指标 2「接入方式」的申诉不成立。处理意见：材料不足。"
    assert "重新评分" not in last


def test_appeal_page_message_mentions_rescore_only_when_one_started(preliminary):
    org = preliminary
    ap = _appeal(org)
    client = Client()
    client.post(reverse("login"), {"username": "reviewer", "password": PASSWORD})
    resp = client.post(
        reverse("appeal_detail", args=[ap.pk]), {"outcome": "rejected", "decision": "材料不足"}, follow=True
    )
    text = resp.content.decode()
    assert "已处理：申诉不成立。" in text and "重新评分" not in text


def test_round_notifications_only_reach_the_rounds_users(org):
    # X01 is a 县(市、区): outside the round's system (classes [市级部门]). A second provider has no
    # indicator in the system. Neither hears of the round; an inactive filler neither.
    county = account_create(actor=None, username="county", password=PASSWORD, role=Role.FILLER, unit=org.x1)
    idle = account_create(actor=None, username="idle", password=PASSWORD, role=Role.PROVIDER)
    gone = account_create(actor=None, username="gone", password=PASSWORD, role=Role.FILLER, unit=org.d3)
    gone.is_active = False
    gone.save()
    fill_all(org)
    _to(org, "reviewing")
    text = "「2021年上半年」进入「审核中」阶段。"
    for user in (org.filler1, org.filler2, org.provider, org.reviewer):
        assert text in _messages(user), user.username
    for user in (county, idle, gone, org.leader):
        assert _messages(user) == [], user.username
