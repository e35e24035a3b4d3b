"""Pages: rendering per role, fill form with optimistic locking, Excel round trip, security basics."""

from __future__ import annotations

import io
import re

import pytest
from django.test import Client
from django.urls import reverse
from webtools import PASSWORD, fill_all

from govassess.web.rounds import services
from govassess.web.rounds.models import InputValue


def login(client: Client, username: str) -> Client:
    assert client.login(username=username, password=PASSWORD)
    return client


def _to(org, *states):
    for s in states:
        services.round_transition(user=org.office, round=org.round, to_state=s)


def _messages(resp) -> str:
    return " ".join(str(m) for m in resp.context["messages"]) if resp.context else ""


def test_every_page_renders_for_the_office_through_the_lifecycle(org, client):
    login(client, "office")
    fill_all(org)
    r = org.round.pk
    pages = [
        "/",
        f"/rounds/{r}/",
        f"/rounds/{r}/completeness/",
        f"/rounds/{r}/units/D01/",
        f"/rounds/{r}/review/",
        f"/rounds/{r}/review/D01/",
        f"/rounds/{r}/provider/",
        f"/rounds/{r}/appeals/",
        f"/rounds/{r}/audit/",
        "/notifications/",
        "/annual/",
        "/rounds/new/",
        "/admin/",
        "/admin/organisation/unit/",
    ]
    for url in pages:
        assert client.get(url).status_code == 200, url
    _to(org, "reviewing")
    services.scoring_start(user=org.office, round=org.round, background=False)
    for url in (f"/rounds/{r}/results/", f"/rounds/{r}/units/D01/scorecard/", f"/rounds/{r}/"):
        resp = client.get(url)
        assert resp.status_code == 200, url
    resp = client.get(f"/rounds/{r}/results/")
    # ranking table: D01 89.00 first, D02 46.00 second (hand computation in test_services)
    text = resp.content.decode()
    assert text.index("89.00") < text.index("46.00")


def test_fill_form_saves_only_changed_values_and_reports_conflicts(org, client):
    login(client, "filler1")
    url = reverse("unit_form", args=[org.round.pk, "D01"])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    # criteria text beside the input, choice drop-down with the rule's options
    assert "得分=网上办理率×60" in html
    assert '<option value="未接入"' in html
    # the filler sees only its self-reported inputs
    assert 'value="3::挂接目录数"' not in html
    keys = dict(re.findall(r'name="key_(\d+)" value="([^"]+)"', html))
    idx = {v: k for k, v in keys.items()}
    i = idx["1::网上办理率"]
    data = {"count": str(len(keys)), **{f"key_{k}": v for k, v in keys.items()}}
    data.update({f"v_{i}": "80%", f"ver_{i}": "", f"ov_{i}": "", f"on_{i}": ""})
    resp = client.post(url, data, follow=True)
    assert "已保存 1 项" in _messages(resp)
    assert InputValue.objects.get(unit=org.d1, indicator="1").value == "80%"
    # meanwhile the office changes the value: the filler's stale form (version 1) gets a conflict
    services.input_value_set(
        user=org.office,
        round=org.round,
        unit=org.d1,
        indicator="1",
        input="网上办理率",
        value="85%",
        expected_version=1,
    )
    data.update({f"v_{i}": "82%", f"ver_{i}": "1", f"ov_{i}": "80%"})
    resp = client.post(url, data, follow=True)
    msg = _messages(resp)
    assert "85%" in msg and "82%" in msg
    assert InputValue.objects.get(unit=org.d1, indicator="1").value == "85%"


def test_user_supplied_text_is_escaped(org, client):
    services.input_value_set(
        user=org.filler1,
        round=org.round,
        unit=org.d1,
        indicator="1",
        input="网上办理率",
        value="80%",
        note='<script>alert("x")</script>',
    )
    login(client, "filler1")
    html = client.get(reverse("unit_form", args=[org.round.pk, "D01"])).content.decode()
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;" in html


def test_csrf_is_required_on_forms(org):
    client = Client(enforce_csrf_checks=True)
    login(client, "filler1")
    resp = client.post(reverse("unit_submit", args=[org.round.pk, "D01"]))
    assert resp.status_code == 403


def test_login_is_throttled_after_repeated_failures(org, settings):
    settings.LOGIN_MAX_FAILURES = 3
    client = Client()
    for _ in range(3):
        resp = client.post(reverse("login"), {"username": "filler1", "password": "wrong"})
        assert "用户名或密码不正确" in resp.content.decode()
    resp = client.post(reverse("login"), {"username": "filler1", "password": PASSWORD})
    assert "登录失败次数过多" in resp.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_is_throttled_per_address_across_accounts(org, settings):
    # password spraying: one wrong password for each of several accounts from one address
    settings.LOGIN_MAX_FAILURES_PER_IP = 3
    client = Client()
    for name in ("filler1", "filler2", "provider"):
        client.post(reverse("login"), {"username": name, "password": "wrong"})
    resp = client.post(reverse("login"), {"username": "reviewer", "password": PASSWORD})
    assert "登录失败次数过多" in resp.content.decode()
    assert "_auth_user_id" not in client.session
    # another address is not affected
    other = Client(REMOTE_ADDR="10.0.0.8")
    other.post(reverse("login"), {"username": "reviewer", "password": PASSWORD})
    assert "_auth_user_id" in other.session


def test_session_expires(settings):
    # sessions end with the browser and after SESSION_HOURS (8 by default)
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    assert settings.SESSION_COOKIE_HTTPONLY is True


def test_excel_template_round_trip_and_located_errors(org, client):
    from openpyxl import load_workbook

    login(client, "filler1")
    resp = client.get(reverse("unit_template", args=[org.round.pk, "D01"]))
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(resp.content))
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    col = {h: i for i, h in enumerate(header)}
    unit_col, ind_col, inp_col, val_col = col["单位编码"], col["指标编码"], col["输入项"], col["填报值"]
    rows = {
        (r[ind_col].value, r[inp_col].value): r for r in ws.iter_rows(min_row=2) if r[unit_col].value == "D01"
    }
    rows[("1", "网上办理率")][val_col].value = "75%"
    rows[("2", "接入方式")][val_col].value = "是"
    for key, r in rows.items():
        if key not in (("1", "网上办理率"), ("2", "接入方式")):
            r[val_col].value = None
    buf = io.BytesIO()
    wb.save(buf)
    up = io.BytesIO(buf.getvalue())
    up.name = "填报.xlsx"
    resp = client.post(reverse("unit_upload", args=[org.round.pk, "D01"]), {"file": up}, follow=True)
    assert "已导入 2 项" in _messages(resp), _messages(resp)
    assert InputValue.objects.get(unit=org.d1, indicator="2").value == "是"
    # a bad value: nothing is imported and the problem names the sheet, row and column
    rows[("1", "网上办理率")][val_col].value = "80%"
    rows[("2", "接入方式")][val_col].value = "也许"
    buf = io.BytesIO()
    wb.save(buf)
    up = io.BytesIO(buf.getvalue())
    up.name = "填报.xlsx"
    resp = client.post(reverse("unit_upload", args=[org.round.pk, "D01"]), {"file": up}, follow=True)
    msg = _messages(resp)
    assert "工作表" in msg and "行" in msg and "也许" in msg, msg
    assert InputValue.objects.get(unit=org.d1, indicator="1").value == "75%"


def test_filler_cannot_upload_rows_of_another_unit(org, client):
    login(client, "filler1")
    csv = io.BytesIO("unit,indicator,input,value\nD01,1,网上办理率,60%\nD02,1,网上办理率,10%\n".encode())
    csv.name = "x.csv"
    resp = client.post(reverse("unit_upload", args=[org.round.pk, "D01"]), {"file": csv}, follow=True)
    assert "只能导入本单位" in _messages(resp) or "D02" in _messages(resp)
    assert not InputValue.objects.filter(indicator="1").exists()


def test_provider_bulk_upload_for_all_units(org, client):
    login(client, "provider")
    csv = io.BytesIO(
        "unit,indicator,input,value\nD01,3,挂接目录数,8\nD01,3,目录总数,10\n"
        "D02,3,挂接目录数,5\nD02,3,目录总数,10\n".encode()
    )
    csv.name = "部门数据.csv"
    resp = client.post(reverse("provider_upload", args=[org.round.pk]), {"file": csv}, follow=True)
    assert "已导入 4 项" in _messages(resp), _messages(resp)
    assert InputValue.objects.filter(indicator="3").count() == 4
    # a row outside its assignment: the whole file is refused
    csv = io.BytesIO("unit,indicator,input,value\nD03,3,目录总数,10\nD03,1,网上办理率,50%\n".encode())
    csv.name = "部门数据.csv"
    resp = client.post(reverse("provider_upload", args=[org.round.pk]), {"file": csv}, follow=True)
    assert "未分配" in _messages(resp)
    assert not InputValue.objects.filter(unit=org.d3).exists()


def test_results_export_is_an_xlsx(org, client):
    fill_all(org)
    _to(org, "reviewing")
    services.scoring_start(user=org.office, round=org.round, background=False)
    login(client, "office")
    resp = client.get(reverse("round_results_export", args=[org.round.pk]))
    assert resp.status_code == 200
    assert resp.content[:2] == b"PK"


@pytest.mark.parametrize("state", ["final"])
def test_locked_round_refuses_form_writes_with_message(org, client, state):
    fill_all(org)
    _to(org, "reviewing")
    services.scoring_start(user=org.office, round=org.round, background=False)
    _to(org, "preliminary", "final")
    login(client, "office")
    url = reverse("unit_form", args=[org.round.pk, "D01"])
    html = client.get(url).content.decode()
    keys = dict(re.findall(r'name="key_(\d+)" value="([^"]+)"', html))
    i = {v: k for k, v in keys.items()}["1::网上办理率"]
    data = {
        "count": str(len(keys)),
        **{f"key_{k}": v for k, v in keys.items()},
        f"v_{i}": "10%",
        f"ver_{i}": "1",
        f"ov_{i}": "90%",
        f"on_{i}": "",
    }
    resp = client.post(url, data, follow=True)
    assert "已定稿" in _messages(resp)
    assert InputValue.objects.get(unit=org.d1, indicator="1").value == "90%"


def test_pages_send_a_content_security_policy(org, client):
    login(client, "filler1")
    resp = client.get("/")
    assert "script-src 'self'" in resp["Content-Security-Policy"]
    assert resp["X-Frame-Options"] == "DENY"


def test_audit_page_filters_by_unit_and_indicator(org, client):
    # D01's value is saved through the page (so the client address is known), D02's through the service
    filler = login(Client(), "filler1")
    url = reverse("unit_form", args=[org.round.pk, "D01"])
    html = filler.get(url).content.decode()
    keys = dict(re.findall(r'name="key_(\d+)" value="([^"]+)"', html))
    i = {v: k for k, v in keys.items()}["1::网上办理率"]
    filler.post(url, {"count": str(len(keys)), f"key_{i}": "1::网上办理率", f"v_{i}": "80%", f"ov_{i}": ""})
    services.input_value_set(
        user=org.filler2, round=org.round, unit=org.d2, indicator="2", input="接入方式", value="是"
    )
    login(client, "office")
    resp = client.get(reverse("round_audit", args=[org.round.pk]), {"unit": "D01", "indicator": "1"})
    entries = list(resp.context["entries"])
    assert [(e.unit_code, e.indicator, e.after["value"]) for e in entries] == [("D01", "1", "80%")]
    assert entries[0].username == "filler1" and entries[0].ip == "127.0.0.1"
    assert entries[0].before is None
    # the Excel export applies the same filter
    import io

    from openpyxl import load_workbook

    resp = client.get(reverse("round_audit_export", args=[org.round.pk]), {"unit": "D01", "indicator": "1"})
    rows = list(load_workbook(io.BytesIO(resp.content)).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("时间（北京时间）", "操作人", "来源地址", "操作") and len(rows) == 2
    assert (
        rows[1][1] == "filler1" and rows[1][5] == "市委办公室(市档案局)（D01）" and "数值：80%" in rows[1][8]
    )


def test_scorecard_export_holds_only_the_unit(org, client):
    from openpyxl import load_workbook

    fill_all(org)
    _to(org, "reviewing")
    services.scoring_start(user=org.office, round=org.round, background=False)
    _to(org, "preliminary")
    login(client, "filler1")
    resp = client.get(reverse("scorecard_export", args=[org.round.pk, "D01"]))
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(resp.content))
    cells = {
        str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None
    }
    assert any("市委办公室" in c for c in cells)
    assert not any("市委宣传部" in c for c in cells)  # D02 is nowhere in D01's workbook
    assert client.get(reverse("scorecard_export", args=[org.round.pk, "D02"])).status_code == 403


def test_password_change_is_audited(org, client):
    from govassess.web.audit.models import AuditEntry

    login(client, "filler1")
    new = "Another-Passw0rd-77"
    resp = client.post(
        reverse("password_change"), {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert resp.status_code == 302
    assert AuditEntry.objects.filter(action="account_password", username="filler1").exists()
    assert Client().login(username="filler1", password=new)
