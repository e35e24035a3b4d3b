"""The office's 账号管理: create, bulk create from Excel (all or nothing), deactivate / reactivate, password
reset, the last-office guard, and the audit log never holding a password."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from webtools import PASSWORD
from webtools import accounts_xlsx as _xlsx
from webtools import shown_passwords as _passwords

from govassess.errors import UserError
from govassess.web.accounts import services
from govassess.web.accounts.models import Role
from govassess.web.audit.models import AuditEntry

User = get_user_model()
NON_OFFICE = ("filler1", "filler2", "provider", "reviewer", "leader")


def _client(username: str, password: str = PASSWORD) -> Client:
    client = Client()
    assert client.login(username=username, password=password)
    return client


def test_manage_page_lists_and_filters(org):
    office = _client("office")
    html = office.get("/accounts/manage/").content.decode()
    for name in ("office", "filler1", "filler2", "provider", "reviewer", "leader"):
        assert f"<td>{name}</td>" in html
    assert "被评估单位填报员" in html and "市委办公室(市档案局)（D01）" in html
    html = office.get("/accounts/manage/?role=filler").content.decode()
    assert "<td>filler1</td>" in html and "<td>filler2</td>" in html and "<td>leader</td>" not in html
    html = office.get("/accounts/manage/?unit=D02").content.decode()
    assert "<td>filler2</td>" in html and "<td>filler1</td>" not in html
    # The nav link is there for the office only.
    assert 'href="/accounts/manage/"' in office.get("/").content.decode()
    assert 'href="/accounts/manage/"' not in _client("filler1").get("/").content.decode()


@pytest.mark.parametrize("username", NON_OFFICE)
def test_only_the_office_manages_accounts(org, username):
    client = _client(username)
    target = org.leader if username != "leader" else org.reviewer
    for method, url in [
        ("get", "/accounts/manage/"),
        ("get", "/accounts/manage/new/"),
        ("post", "/accounts/manage/new/"),
        ("get", "/accounts/manage/import/"),
        ("post", "/accounts/manage/import/"),
        ("get", "/accounts/manage/template.xlsx"),
        ("post", f"/accounts/manage/{target.pk}/deactivate/"),
        ("post", f"/accounts/manage/{target.pk}/reactivate/"),
        ("post", f"/accounts/manage/{target.pk}/password/"),
    ]:
        assert getattr(client, method)(url).status_code == 403, (username, url)
    with pytest.raises(Exception, match="只有评估办"):
        services.account_add(user=getattr(org, username), username="x", display_name="x", role="leader")
    target.refresh_from_db()
    assert target.is_active and target.check_password(PASSWORD)
    resp = Client().get("/accounts/manage/")
    assert resp.status_code == 302 and "login" in resp["Location"]


def test_create_shows_password_once_and_it_logs_in(org):
    office = _client("office")
    resp = office.post(
        "/accounts/manage/new/",
        {"username": "d03_filler", "display_name": "张三", "role": "filler", "unit": org.d3.pk},
    )
    assert resp.status_code == 200
    assert "no-store" in resp["Cache-Control"]
    html = resp.content.decode()
    password = _passwords(html)["d03_filler"]
    # 14 characters from the unambiguous alphabet (no 0 O o 1 l I).
    assert len(password) == 14 and not set(password) & set("0Oo1lI")
    assert "只在本页显示这一次" in html
    user = User.objects.get(username="d03_filler")
    assert user.first_name == "张三" and user.profile.role == Role.FILLER and user.profile.unit == org.d3
    assert not user.is_staff
    assert Client().login(username="d03_filler", password=password)
    # Shown once: the list never shows it again.
    assert password not in office.get("/accounts/manage/").content.decode()


def test_create_refuses_filler_without_unit_and_duplicates(org):
    office = _client("office")
    html = office.post(
        "/accounts/manage/new/", {"username": "nounit", "display_name": "李四", "role": "filler"}
    ).content.decode()
    assert "必须填写所属评估对象" in html
    html = office.post(
        "/accounts/manage/new/", {"username": "FILLER1", "display_name": "李四", "role": "leader"}
    ).content.decode()
    assert "账号「FILLER1」已存在" in html
    assert not User.objects.filter(username__in=["nounit", "FILLER1"]).exists()


def test_bulk_create_reports_every_bad_row_and_creates_nothing(org):
    before = User.objects.count()
    upload = _xlsx(
        [
            ["x02_filler", "王五", "被评估单位填报员", "X01"],  # row 2: good
            ["provider2", "赵六", "数据提供部门", ""],  # row 3: good
            ["x09_filler", "钱七", "填报员", "X09"],  # row 4: no unit X09
            ["someone", "孙八", "管理员", ""],  # row 5: unknown role
            ["x02_filler", "周九", "领导", ""],  # row 6: repeats row 2
        ]
    )
    resp = _client("office").post("/accounts/manage/import/", {"file": upload})
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "没有创建任何账号" in html
    assert "工作表「账号」，第 4 行，列「评估对象编码」：没有编码为「X09」的评估对象" in html
    assert "工作表「账号」，第 5 行，列「角色」：未知角色「管理员」" in html
    assert "工作表「账号」，第 6 行，列「账号」：账号「x02_filler」在本表中重复（第 2 行已有）" in html
    assert User.objects.count() == before
    assert not AuditEntry.objects.filter(action="account_create", after__username="provider2").exists()


def test_bulk_create_refuses_a_username_already_in_the_database(org):
    with pytest.raises(UserError) as err:
        services.account_bulk_create(
            user=org.office, upload=_xlsx([["new1", "甲", "领导", ""], ["Leader", "乙", "领导", ""]])
        )
    (problem,) = err.value.problems
    assert (problem.row, problem.column) == (3, "账号") and "已存在" in problem.message
    assert not User.objects.filter(username="new1").exists()


def test_bulk_create_good_sheet_shows_passwords_and_xlsx(org):
    upload = _xlsx([["x01_a", "王五", "被评估单位填报员", "X01"], ["prov2", "赵六", "数据提供部门", "D02"]])
    resp = _client("office").post("/accounts/manage/import/", {"file": upload})
    html = resp.content.decode()
    assert "已批量创建 2 个账号" in html and "no-store" in resp["Cache-Control"]
    shown = _passwords(html)
    assert set(shown) == {"x01_a", "prov2"}
    assert User.objects.get(username="x01_a").profile.unit == org.x1
    assert User.objects.get(username="prov2").profile.role == Role.PROVIDER
    # The download is the page itself (data: URI): the workbook holds the same passwords.
    import base64

    from openpyxl import load_workbook

    uri = re.search(r'href="data:[^;]+;base64,([^"]+)" download="初始密码.xlsx"', html).group(1)
    ws = load_workbook(io.BytesIO(base64.b64decode(uri))).active
    rows = {r[0]: r[4] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows == shown
    for username, password in shown.items():
        assert Client().login(username=username, password=password)


def test_deactivate_refuses_login_and_reactivate_restores(org):
    office = _client("office")
    leader_session = _client("leader")
    assert office.post(f"/accounts/manage/{org.leader.pk}/deactivate/").status_code == 302
    org.leader.refresh_from_db()
    assert not org.leader.is_active
    assert not Client().login(username="leader", password=PASSWORD)
    # The open session ends too.
    assert leader_session.get("/").status_code == 302
    assert office.post(f"/accounts/manage/{org.leader.pk}/reactivate/").status_code == 302
    assert Client().login(username="leader", password=PASSWORD)
    actions = list(
        AuditEntry.objects.filter(object_id=str(org.leader.pk), action__startswith="account_")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions[-2:] == ["account_deactivate", "account_reactivate"]


def test_reset_password(org):
    resp = _client("office").post(f"/accounts/manage/{org.filler1.pk}/password/")
    new = _passwords(resp.content.decode())["filler1"]
    assert new != PASSWORD
    assert not Client().login(username="filler1", password=PASSWORD)
    assert Client().login(username="filler1", password=new)


def test_last_office_guard(org):
    office = _client("office")
    # Not oneself …
    office.post(f"/accounts/manage/{org.office.pk}/deactivate/")
    org.office.refresh_from_db()
    assert org.office.is_active
    with pytest.raises(UserError, match="不能停用自己"):
        services.account_deactivate(user=org.office, account=org.office)
    # … and not the last active office account, even by a second office account.
    second, _ = services.account_add(user=org.office, username="office2", display_name="二号", role="office")
    services.account_deactivate(user=second, account=org.office)
    org.office.refresh_from_db()
    assert not org.office.is_active
    services.account_reactivate(user=second, account=org.office)
    services.account_deactivate(user=org.office, account=second)  # two active → one: allowed
    with pytest.raises(UserError, match="最后一个启用的评估办账号"):
        # office2 is inactive now (a stale caller: the service counts the database, not the caller's word);
        # office is the only active office account left.
        services.account_deactivate(user=second, account=org.office)
    org.office.refresh_from_db()
    assert org.office.is_active


def test_audit_entries_never_hold_passwords(org):
    created, password = services.account_add(
        user=org.office, username="audited", display_name="审计", role="filler", unit=org.d1
    )
    new = services.account_password_reset(user=org.office, account=created)
    services.account_bulk_create(user=org.office, upload=_xlsx([["bulk1", "批量", "领导", ""]]))
    services.account_deactivate(user=org.office, account=created)
    entries = AuditEntry.objects.filter(action__startswith="account_")
    assert {"account_create", "account_password_reset", "account_deactivate"} <= set(
        entries.values_list("action", flat=True)
    )
    create = entries.get(action="account_create", object_id=str(created.pk))
    assert create.username == "office" and create.after["username"] == "audited"
    text = " ".join(str(e.before) + str(e.after) for e in entries)
    assert password not in text and new not in text and PASSWORD not in text


def test_blank_template_round_trips(org):
    """The downloaded blank sheet, filled in, is accepted as is; its notes sheet lists the 4 unit codes."""
    from openpyxl import load_workbook

    resp = _client("office").get("/accounts/manage/template.xlsx")
    wb = load_workbook(io.BytesIO(resp.content))
    assert [c.value for c in wb["账号"][1]] == ["账号", "姓名", "角色", "评估对象编码"]
    codes = {r[0] for r in wb["填写说明"].iter_rows(values_only=True)} & {"D01", "D02", "D03", "X01"}
    assert len(codes) == 4
    wb["账号"].append(["tpl_user", "模板", "填报员", "D03"])
    out = io.BytesIO()
    wb.save(out)
    ((created, _password),) = services.account_bulk_create(
        user=org.office, upload=SimpleUploadedFile("accounts-template.xlsx", out.getvalue())
    )
    assert created.username == "tpl_user" and created.profile.unit == org.d3
