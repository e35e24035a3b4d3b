"""The reviewers' private remark 内部意见 beside an expert score (issue 17): written by reviewers and the office
through the fill form, shown on their pages and in their API reads, never to the unit — in no state of the
round, in no page, API answer, template or export — and audited."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from webtools import PASSWORD, fill_all

from govassess.errors import UserError
from govassess.web.audit.models import AuditEntry
from govassess.web.rounds import services
from govassess.web.rounds.models import InputValue

PRIVATE = "内部意见：材料疑似套用模板辛八"
REASON = "评分理由：材料不全壬九"


def _client(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def _score_row(rnd):
    return InputValue.objects.get(round=rnd, unit__code="D01", indicator="4", input="score")


def _form_post(client, rnd, page: str, **changes) -> dict:
    """The fill form as the browser sends it back: every rendered field, with `changes` applied by name."""
    import re

    data = {"csrfmiddlewaretoken": ""}
    for m in re.finditer(
        r'<input type="(?:hidden|text|number)"[^>]*?name="([^"]+)"[^>]*?value="([^"]*)"', page
    ):
        data[m[1]] = m[2]
    data.update(changes)
    return data


def _body(resp) -> str:
    data = resp.content
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
    return data.decode("utf-8", "replace")


def _score_index(page: str) -> str:
    import re

    return re.search(r'name="key_(\d+)" value="4::score"', page)[1] if 'value="4::score"' in page else ""


def test_reviewer_writes_the_private_remark_in_the_form_and_it_is_audited(org):
    fill_all(org)
    services.input_value_set(
        user=org.reviewer,
        round=org.round,
        unit=org.d1,
        indicator="4",
        input="score",
        value="7",
        note=REASON,
        expected_version=1,
    )
    reviewer = _client("reviewer")
    url = f"/rounds/{org.round.pk}/units/D01/"
    page = reviewer.get(url).content.decode()
    i = _score_index(page)
    assert i, "the reviewer's form has the expert score row"
    assert f'name="in_{i}"' in page and "内部意见" in page
    version = _score_row(org.round).version
    resp = reviewer.post(url, _form_post(reviewer, org.round, page, **{f"in_{i}": PRIVATE, "count": "50"}))
    assert resp.status_code == 302
    row = _score_row(org.round)
    # The remark is stored apart from the reason; value, reason and version are untouched.
    assert (row.internal_note, row.note, row.value, row.version) == (PRIVATE, REASON, "7", version)
    entry = AuditEntry.objects.filter(action="input_internal_note").get()
    assert entry.before == {"internal_note": ""} and entry.after == {"internal_note": PRIVATE}
    assert entry.unit_code == "D01" and entry.indicator == "4"
    # The reviewer's and the office's pages and API show it.
    assert PRIVATE in reviewer.get(f"/rounds/{org.round.pk}/review/D01/").content.decode()
    office_rows = _client("office").get(f"/api/v1/rounds/{org.round.pk}/inputs/?unit=D01").json()
    assert [r["internal_note"] for r in office_rows if r["indicator"] == "4"] == [PRIVATE]


@pytest.mark.parametrize("state", ["collecting", "preliminary", "final"])
def test_the_unit_never_sees_the_private_remark(org, state):
    fill_all(org)
    services.input_value_set(
        user=org.reviewer,
        round=org.round,
        unit=org.d1,
        indicator="4",
        input="score",
        value="7",
        note=REASON,
        expected_version=1,
    )
    services.input_internal_note_set(
        user=org.reviewer, round=org.round, unit=org.d1, indicator="4", input="score", text=PRIVATE
    )
    if state != "collecting":
        services.round_transition(user=org.office, round=org.round, to_state="reviewing")
        services.scoring_start(user=org.office, round=org.round, background=False)
        services.round_transition(user=org.office, round=org.round, to_state="preliminary")
    if state == "final":
        services.round_transition(user=org.office, round=org.round, to_state="final")
    r = org.round.pk
    pages = [
        f"/rounds/{r}/units/D01/",
        f"/rounds/{r}/units/D01/template.xlsx",
        f"/api/v1/rounds/{r}/inputs/",
        f"/api/v1/rounds/{r}/inputs/?unit=D01",
    ]
    if state != "collecting":
        pages += [f"/rounds/{r}/units/D01/scorecard/", f"/rounds/{r}/units/D01/scorecard.xlsx"]
    if state == "final":
        pages += [f"/rounds/{r}/results/", f"/rounds/{r}/results.xlsx"]
    filler = _client("filler1")
    for url in pages:
        resp = filler.get(url)
        assert resp.status_code == 200, url
        assert PRIVATE not in _body(resp), url
    if state != "collecting":
        # Published: the unit reads the reason (the explanation of its lost points) — but not the remark,
        # and the API answer has no internal_note key at all.
        assert REASON in _body(filler.get(f"/rounds/{r}/units/D01/scorecard/"))
        rows = filler.get(f"/api/v1/rounds/{r}/inputs/").json()
        assert rows and all("internal_note" not in row for row in rows)
    for other in ("provider", "leader", "filler2"):
        for url in pages:
            assert PRIVATE not in _body(_client(other).get(url)), (other, url)


def test_a_unit_cannot_write_a_private_remark_and_nothing_is_saved(org):
    fill_all(org)
    filler = _client("filler1")
    url = f"/rounds/{org.round.pk}/units/D01/"
    page = filler.get(url).content.decode()
    assert "内部意见" not in page
    before = sorted(InputValue.objects.values_list("indicator", "input", "value", "note", "internal_note"))
    resp = filler.post(
        url,
        {"count": "1", "key_0": "1::网上办理率", "v_0": "12%", "ov_0": "90%", "in_0": PRIVATE, "oin_0": ""},
    )
    assert resp.status_code == 403
    assert (
        sorted(InputValue.objects.values_list("indicator", "input", "value", "note", "internal_note"))
        == before
    )
    with pytest.raises(PermissionDenied):  # the service refuses as well
        services.input_internal_note_set(
            user=org.filler1, round=org.round, unit=org.d1, indicator="4", input="score", text=PRIVATE
        )


def test_private_remark_is_refused_on_a_final_round(org):
    fill_all(org)
    services.round_transition(user=org.office, round=org.round, to_state="reviewing")
    services.scoring_start(user=org.office, round=org.round, background=False)
    services.round_transition(user=org.office, round=org.round, to_state="preliminary")
    # Still writable while appeals are decided.
    services.input_internal_note_set(
        user=org.reviewer, round=org.round, unit=org.d1, indicator="4", input="score", text="公示期意见"
    )
    services.round_transition(user=org.office, round=org.round, to_state="final")
    with pytest.raises(UserError, match="已定稿"):
        services.input_internal_note_set(
            user=org.reviewer, round=org.round, unit=org.d1, indicator="4", input="score", text=PRIVATE
        )
    assert _score_row(org.round).internal_note == "公示期意见"


def test_a_changed_remark_is_not_overwritten(org):
    fill_all(org)
    services.input_internal_note_set(
        user=org.reviewer, round=org.round, unit=org.d1, indicator="4", input="score", text="甲"
    )
    with pytest.raises(UserError, match="已被他人修改"):
        services.input_internal_note_set(
            user=org.office,
            round=org.round,
            unit=org.d1,
            indicator="4",
            input="score",
            text="乙",
            expected="",
        )
    assert _score_row(org.round).internal_note == "甲"


def test_clearing_the_value_keeps_the_remark_in_the_audit(org):
    fill_all(org)
    services.input_internal_note_set(
        user=org.reviewer, round=org.round, unit=org.d1, indicator="4", input="score", text=PRIVATE
    )
    services.input_value_set(
        user=org.reviewer,
        round=org.round,
        unit=org.d1,
        indicator="4",
        input="score",
        value="",
        note="",
        expected_version=1,
    )
    assert not InputValue.objects.filter(round=org.round, unit=org.d1, indicator="4").exists()
    entry = AuditEntry.objects.get(action="input_clear", indicator="4")
    assert entry.before["internal_note"] == PRIVATE and entry.before["value"] == "7"


def test_review_decision_has_a_private_remark_the_unit_never_reads(org):
    fill_all(org)
    services.submission_submit(user=org.filler1, round=org.round, unit=org.d1)
    reviewer = _client("reviewer")
    r = org.round.pk
    resp = reviewer.post(
        f"/rounds/{r}/review/D01/",
        {
            "decision": "return",
            "reason": "请补充第二季度台账",
            "internal_note": "该单位去年同样补做台账，重点复核",
        },
    )
    assert resp.status_code == 302
    sub = org.round.submissions.get(unit=org.d1)
    assert (sub.status, sub.reason, sub.internal_note) == (
        "returned",
        "请补充第二季度台账",
        "该单位去年同样补做台账，重点复核",
    )
    entry = AuditEntry.objects.get(action="submission_return")
    assert entry.after["internal_note"] == "该单位去年同样补做台账，重点复核"
    assert "该单位去年同样补做台账" in reviewer.get(f"/rounds/{r}/review/D01/").content.decode()
    filler = _client("filler1")
    for url in (f"/rounds/{r}/units/D01/", "/notifications/", f"/rounds/{r}/", "/"):
        text = filler.get(url).content.decode()
        assert "该单位去年同样补做台账" not in text, url
    assert "请补充第二季度台账" in filler.get("/notifications/").content.decode()
