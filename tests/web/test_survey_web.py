"""The survey (政务信息系统普查) in the web platform and the 一表通 unit master data."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook
from survey_helpers import system_row as base_system_row
from webtools import PASSWORD

from govassess.errors import UserError
from govassess.web.audit.models import AuditEntry
from govassess.web.organisation.models import UnitProfile, UnitProfileChange
from govassess.web.organisation.services import unit_profile_update
from govassess.web.survey import selectors, services
from govassess.web.survey.models import Response

# 91110000600037341L: the 统一社会信用代码 example of python-stdnum's stdnum.cn.uscc documentation (published,
# not produced by our code). Changing its check character to M breaks the GB 32100 checksum.
USCC_OK = "91110000600037341L"
USCC_BAD = "91110000600037341M"


def master(name, **over):
    data = {
        "name": name,
        "department": "",
        "address": "广东省阳江市江城区东风二路18号",
        "credit_code": USCC_OK,
        "nature": "机关",
        "contact": "张三",
        "phone": "0662-3222222-101",
    }
    data.update(over)
    return data


def system_row(dept, name="档案管理系统", **over):
    # The forms tests' row, which satisfies every rule of the seed's 填表说明 (see survey_helpers).
    return base_system_row(dept, name, **over)


def fill(template: bytes, systems: list[dict]) -> bytes:
    """Type system rows into a downloaded template below its header, as a filler would (units are pre-filled)."""
    wb = load_workbook(io.BytesIO(template))
    ws = wb["政务信息系统基本情况表"]
    headers = [str(c.value or "").lstrip("*").split("（")[0].strip() for c in ws[1]]
    for r, row in enumerate(systems, 2):
        for c, name in enumerate(headers, 1):
            if row.get(name) is not None:
                ws.cell(row=r, column=c, value=row[name])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(data: bytes, name="调查表.xlsx"):
    return SimpleUploadedFile(name, data)


def client(username):
    c = Client()
    assert c.login(username=username, password=PASSWORD)
    return c


@pytest.fixture
def campaign(org):
    return services.campaign_create(
        user=org.office,
        name="2017年政务信息系统普查",
        cutoff=date(2017, 12, 31),
        deadline=timezone.now() + timedelta(days=7),
    )


# ---- 一表通 master data ------------------------------------------------------------------------------------


def test_master_data_rejects_every_bad_field_and_saves_nothing(org):
    with pytest.raises(UserError) as err:
        unit_profile_update(
            user=org.filler1,
            unit=org.d1,
            data=master(org.d1.name, credit_code=USCC_BAD, phone="3222222", address="阳江市东风二路"),
        )
    fields = sorted(p.field for p in err.value.problems)
    # Three problems: checksum (GB 32100), phone neither mobile nor 区号-总机号码, address without 门牌号.
    assert fields == ["地址", "统一社会信用代码", "联系方式"]
    assert not UnitProfile.objects.filter(unit=org.d1).exists()
    assert not UnitProfileChange.objects.exists()


def test_master_data_permissions(org):
    with pytest.raises(PermissionDenied):
        unit_profile_update(user=org.filler2, unit=org.d1, data=master(org.d1.name))
    with pytest.raises(PermissionDenied):
        unit_profile_update(user=org.provider, unit=org.d1, data=master(org.d1.name))
    unit_profile_update(user=org.office, unit=org.d1, data=master(org.d1.name))
    assert UnitProfile.objects.get(unit=org.d1).credit_code == USCC_OK


def test_master_data_history_and_audit(org):
    unit_profile_update(user=org.filler1, unit=org.d1, data=master(org.d1.name))
    unit_profile_update(user=org.office, unit=org.d1, data=master(org.d1.name, phone="13800138000"))
    changes = list(UnitProfileChange.objects.filter(unit=org.d1).order_by("id"))
    assert len(changes) == 2
    assert changes[1].username == "office"
    # Only the changed field is recorded, before → after.
    assert changes[1].before == {"联系方式": "0662-3222222-101"}
    assert changes[1].after == {"联系方式": "13800138000"}
    assert AuditEntry.objects.filter(action="unit_profile_save", unit_code="D01").count() == 2
    # Saving the same values again is not a change.
    unit_profile_update(user=org.office, unit=org.d1, data=master(org.d1.name, phone="13800138000"))
    assert UnitProfileChange.objects.filter(unit=org.d1).count() == 2
    page = client("filler1").get("/units/D01/profile/history/").content.decode()
    assert "0662-3222222-101" in page and "13800138000" in page


def test_profile_page_shows_errors_beside_the_field(org):
    resp = client("filler1").post("/units/D01/profile/", master(org.d1.name, phone="12345"))
    assert resp.status_code == 200
    form = resp.context["form"]
    assert list(form.errors) == ["phone"]
    assert not UnitProfile.objects.filter(unit=org.d1).exists()


def test_template_prefilled_with_master_data_and_rename_follows(org, campaign):
    unit_profile_update(user=org.office, unit=org.d1, data=master(org.d1.name))
    # D02 is filed as a subordinate unit of D01: it appears in D01's template too.
    unit_profile_update(user=org.office, unit=org.d2, data=master(org.d2.name, department=org.d1.name))
    wb = load_workbook(io.BytesIO(selectors.template_bytes(campaign=campaign, unit=org.d1)))
    ws = wb["单位基本情况"]
    names = [ws.cell(row=r, column=1).value for r in (2, 3)]
    assert names == ["市委办公室(市档案局)", "市委宣传部(新闻出版局)"]
    assert ws.cell(row=3, column=2).value == "市委办公室(市档案局)"
    row2 = [c.value for c in ws[2]]
    assert "0662-3222222-101" in row2 and USCC_OK in row2

    unit_profile_update(user=org.filler1, unit=org.d1, data=master("市委办公室"))
    org.d1.refresh_from_db()
    assert org.d1.name == "市委办公室"
    assert UnitProfile.objects.get(unit=org.d2).department == "市委办公室"
    ws = load_workbook(io.BytesIO(selectors.template_bytes(campaign=campaign, unit=org.d1)))["单位基本情况"]
    assert [ws.cell(row=r, column=1).value for r in (2, 3)] == ["市委办公室", "市委宣传部(新闻出版局)"]
    assert ws.cell(row=3, column=2).value == "市委办公室"


# ---- uploads ---------------------------------------------------------------------------------------------


def test_upload_validated_all_or_nothing(org, campaign):
    unit_profile_update(user=org.office, unit=org.d1, data=master(org.d1.name))
    tpl = selectors.template_bytes(campaign=campaign, unit=org.d1)
    c = client("filler1")
    good = fill(tpl, [system_row(org.d1.name)])
    resp = c.post(f"/surveys/{campaign.pk}/units/D01/upload/", {"file": upload(good)})
    assert resp.status_code == 302
    stored = Response.objects.get(campaign=campaign, unit=org.d1)
    assert stored.counts["systems"] == 1
    audits = AuditEntry.objects.count()

    # 40 + 50.25 + 10 = 100.25 ≠ 101.25, and a 系统状态 not in the seed's list.
    bad = fill(
        tpl,
        [
            system_row(org.d1.name, 信息系统实际已投入总金额=101.25),
            system_row(org.d1.name, "二", 系统状态="废弃"),
        ],
    )
    resp = c.post(f"/surveys/{campaign.pk}/units/D01/upload/", {"file": upload(bad, "错.xlsx")})
    assert resp.status_code == 200
    problems = resp.context["problems"]
    located = {(p.sheet, p.row, p.column) for p in problems}
    assert ("政务信息系统基本情况表", 2, "信息系统实际已投入总金额") in located
    assert ("政务信息系统基本情况表", 3, "系统状态") in located
    page = resp.content.decode()
    assert "101.25" in page and "废弃" in page
    stored2 = Response.objects.get(campaign=campaign, unit=org.d1)
    assert (stored2.sha256, stored2.filename, stored2.counts) == (
        stored.sha256,
        stored.filename,
        stored.counts,
    )
    assert AuditEntry.objects.count() == audits


def test_classified_workbook_is_never_uploaded(org, campaign):
    # Seed 000: 涉密、非涉密应分开填报，上报时须分开刻盘 — a networked platform takes the 非涉密 part only.
    unit_profile_update(user=org.office, unit=org.d1, data=master(org.d1.name))
    tpl = selectors.template_bytes(campaign=campaign, unit=org.d1)
    secret = fill(tpl, [system_row(org.d1.name, 信息系统分级保护定级情况="秘密")])
    c = client("filler1")
    resp = c.post(f"/surveys/{campaign.pk}/units/D01/upload/", {"file": upload(secret, "涉密.xlsx")})
    assert resp.status_code == 200
    page = resp.content.decode()
    assert "涉密内容不得通过本平台上传" in page and "离线报送" in page
    assert not Response.objects.filter(campaign=campaign, unit=org.d1).exists()
    stopped = fill(tpl, [system_row(org.d1.name, 系统状态="停止使用"), system_row(org.d1.name, "二")])
    resp = c.post(f"/surveys/{campaign.pk}/units/D01/upload/", {"file": upload(stopped)})
    assert resp.status_code == 302
    stored = Response.objects.get(campaign=campaign, unit=org.d1)
    assert stored.counts["systems"] == 2  # filed as is, status kept
    assert any("停用系统不需填报" in w for w in stored.warnings)


def test_upload_must_contain_own_unit(org, campaign):
    unit_profile_update(user=org.office, unit=org.d2, data=master(org.d2.name))
    tpl = selectors.template_bytes(campaign=campaign, unit=org.d2)  # D02's master data, uploaded as D01
    with pytest.raises(UserError) as err:
        services.response_upload(
            user=org.filler1, campaign=campaign, unit=org.d1, upload=upload(fill(tpl, []))
        )
    assert err.value.problems[0].sheet == "单位基本情况"
    assert not Response.objects.exists()


def test_other_unit_and_other_roles_refused(org, campaign):
    with pytest.raises(PermissionDenied):
        services.response_upload(user=org.filler2, campaign=campaign, unit=org.d1, upload=upload(b"x"))
    with pytest.raises(PermissionDenied):
        services.response_submit(user=org.reviewer, campaign=campaign, unit=org.d1)
    with pytest.raises(PermissionDenied):
        services.campaign_create(
            user=org.filler1, name="x", cutoff=date(2017, 12, 31), deadline=timezone.now()
        )


def test_locked_after_deadline_except_extension(org, campaign):
    unit_profile_update(user=org.office, unit=org.d1, data=master(org.d1.name))
    good = fill(selectors.template_bytes(campaign=campaign, unit=org.d1), [system_row(org.d1.name)])
    campaign.deadline = timezone.now() - timedelta(hours=1)
    campaign.save()
    with pytest.raises(UserError, match="截止"):
        services.response_upload(user=org.filler1, campaign=campaign, unit=org.d1, upload=upload(good))
    services.extension_set(
        user=org.office, campaign=campaign, unit=org.d1, deadline=timezone.now() + timedelta(days=1)
    )
    services.response_upload(user=org.filler1, campaign=campaign, unit=org.d1, upload=upload(good))
    services.response_submit(user=org.filler1, campaign=campaign, unit=org.d1)
    # D02 has no extension: still locked.
    with pytest.raises(UserError, match="截止"):
        services.response_submit(user=org.filler2, campaign=campaign, unit=org.d2)
    rows = {r["unit"].code: r for r in selectors.completeness(campaign=campaign)}
    assert rows["D01"]["done"] and rows["D01"]["extended"]
    assert not rows["D02"]["done"] and rows["D02"]["status"] == "未上传"


# ---- consolidated inventory ----------------------------------------------------------------------------------


def test_summary_rolls_up_subordinate_units_and_screens(org, campaign):
    unit_profile_update(user=org.office, unit=org.d1, data=master(org.d1.name))
    unit_profile_update(user=org.office, unit=org.d2, data=master(org.d2.name, department=org.d1.name))
    unit_profile_update(user=org.office, unit=org.d3, data=master(org.d3.name))
    d1, d2, d3 = org.d1.name, org.d2.name, org.d3.name
    # D01 files its own workbook (with its subordinate D02 pre-filled): one system of D01, one of D02.
    book1 = fill(
        selectors.template_bytes(campaign=campaign, unit=org.d1),
        [system_row(d1), system_row(d2, "新闻发布平台", 系统类型="门户网站", 主要功能="新闻发布、信息公开")],
    )
    services.response_upload(user=org.filler1, campaign=campaign, unit=org.d1, upload=upload(book1))
    # D03: the same system name as D01's (duplicate-spending hint), and one system the unit lists 拟清理
    # with 系统使用频率 50 < 100 (僵尸 conditions 2 and 3 of the seed).
    book3 = fill(
        selectors.template_bytes(campaign=campaign, unit=org.d3),
        [
            system_row(d3),
            system_row(
                d3,
                "统战信息报送系统",
                **{"主要功能": "统战信息报送", "信息系统拟清理、整合情况": "拟清理", "系统使用频率": 50},
            ),
        ],
    )
    services.response_upload(user=org.office, campaign=campaign, unit=org.d3, upload=upload(book3))

    result = selectors.consolidated(campaign=campaign)
    by_dept = {row["部门"]: row for row in result["summary"]}
    # D02 rolled into D01: 2 units, 2 systems (1 业务系统 + 1 门户网站); 实际已投入 100.25 × 2 = 200.5.
    assert by_dept[d1]["单位数"] == 2
    assert by_dept[d1]["信息系统数"] == 2
    assert by_dept[d1]["门户网站数"] == 1
    assert by_dept[d1]["信息系统实际已投入总金额"] == pytest.approx(200.5)
    assert d2 not in by_dept
    assert by_dept[d3]["信息系统数"] == 2
    assert by_dept["合计"]["信息系统数"] == 4
    zombies = {(z["部门全称"], z["信息系统名称"]): z for z in result["zombies"]}
    assert set(zombies) == {(d3, "统战信息报送系统")}
    # 50 visits < the default 100 (criterion 3); 拟清理 is the unit's plan, not one of the seed's criteria
    assert zombies[(d3, "统战信息报送系统")]["原因"] == ["（3）运行中但年度累计用户访问、登录次数不足100次"]
    pairs = {
        frozenset([(h["单位甲"], h["系统甲"]), (h["单位乙"], h["系统乙"])]) for h in result["duplicates"]
    }
    assert frozenset([(d1, "档案管理系统"), (d3, "档案管理系统")]) in pairs

    c = client("office")
    page = c.get(f"/surveys/{campaign.pk}/summary/").content.decode()
    assert "统战信息报送系统" in page and "200.5" in page
    resp = c.get(f"/surveys/{campaign.pk}/summary.xlsx")
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(resp.content))
    assert any(d1 in str(cell.value) for ws in wb for row in ws.iter_rows() for cell in row)
    detail = c.get(f"/surveys/{campaign.pk}/").content.decode()
    assert "已上传未提交" in detail and "未上传" in detail


def test_filler_sees_only_own_survey_pages(org, campaign):
    c = client("filler1")
    assert c.get(f"/surveys/{campaign.pk}/").url == f"/surveys/{campaign.pk}/units/D01/"
    assert c.get(f"/surveys/{campaign.pk}/units/D02/").status_code == 403
    assert c.get(f"/surveys/{campaign.pk}/summary/").status_code == 403
    page = c.get(f"/surveys/{campaign.pk}/units/D01/").content.decode()
    assert "下载填报模板" in page
    resp = c.get(f"/surveys/{campaign.pk}/units/D01/template.xlsx")
    assert resp.status_code == 200 and "单位基本情况" in load_workbook(io.BytesIO(resp.content)).sheetnames


def test_campaign_create_view(org):
    c = client("office")
    resp = c.post("/surveys/new/", {"name": "普查", "cutoff": "2017-12-31", "deadline": "2030-01-01T12:00"})
    assert resp.status_code == 302
    assert AuditEntry.objects.filter(action="survey_create").count() == 1


def test_master_data_card_reads_live_values(org):
    from django.template import Context, Template

    tpl = Template("{% load master_data %}{% unit_master unit %}")
    unit_profile_update(user=org.office, unit=org.d1, data=master(org.d1.name, contact="李四"))
    assert "李四" in tpl.render(Context({"unit": org.d1, "user": org.filler1}))
    unit_profile_update(user=org.filler1, unit=org.d1, data=master(org.d1.name, contact="王五"))
    html = tpl.render(Context({"unit": org.d1, "user": org.filler2}))
    # The new contact everywhere; another unit's filler sees the card but no edit link.
    assert "王五" in html and "李四" not in html and "修改单位信息" not in html


def _editor_post(fields, rows):
    data = {"rows": str(len(rows))}
    for i, row in enumerate(rows):
        for j, f in enumerate(fields):
            value = row.get(f.name)
            data[f"c-{i}-{j}"] = "" if value is None else str(value)
    return data


def test_online_editor_saves_through_the_same_checks(org, campaign):
    unit_profile_update(user=org.office, unit=org.d1, data=master(org.d1.name))
    c = client("filler1")
    url = f"/surveys/{campaign.pk}/units/D01/systems/"
    page = c.get(url)
    assert page.status_code == 200
    fields = page.context["fields"]
    assert len(fields) == 39  # the seed's 39-column 政务信息系统基本情况表

    # 硬件 40 + 软件 50.25 + 运维 10 = 100.25 ≠ 99: refused, nothing stored, the cell flagged.
    resp = c.post(url, _editor_post(fields, [system_row(org.d1.name, 信息系统实际已投入总金额=99)]))
    assert resp.status_code == 200
    assert not Response.objects.exists()
    flagged = [(i, f.name) for i, cells in resp.context["grid"] for f, _v, bad in cells if bad]
    assert (0, "信息系统实际已投入总金额") in flagged

    resp = c.post(
        url, _editor_post(fields, [system_row(org.d1.name), system_row(org.d1.name, "档案查询系统")])
    )
    assert resp.status_code == 302
    stored = Response.objects.get(campaign=campaign, unit=org.d1)
    assert stored.counts["systems"] == 2
    # Reopened, the editor shows the stored rows (dates as 2016-03-01) plus one blank row.
    grid = c.get(url).context["grid"]
    assert len(grid) == 3
    values = {f.name: v for f, v, _b in grid[0][1]}
    assert values["信息系统名称"] == "档案管理系统" and values["系统开始使用日期"] == "2016-03-01"
    # Deleting the second row keeps one system.
    data = _editor_post(fields, [system_row(org.d1.name), system_row(org.d1.name, "档案查询系统")])
    data["del-1"] = "on"
    assert c.post(url, data).status_code == 302
    assert Response.objects.get(campaign=campaign, unit=org.d1).counts["systems"] == 1
    assert client("filler2").get(url).status_code == 403


def _csv(rows: list[dict]) -> bytes:
    import csv

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def test_usage_upload_feeds_screening_and_self_evaluation(org, campaign):
    unit_profile_update(user=org.office, unit=org.d1, data=master(org.d1.name))
    book = fill(selectors.template_bytes(campaign=campaign, unit=org.d1), [system_row(org.d1.name)])
    services.response_upload(user=org.filler1, campaign=campaign, unit=org.d1, upload=upload(book))
    c = client("office")
    # Missing the key column 信息系统名称: refused, nothing stored.
    resp = c.post(f"/surveys/{campaign.pk}/usage/", {"file": upload(_csv([{"部门全称": "x"}]), "u.csv")})
    assert resp.status_code == 302
    campaign.refresh_from_db()
    assert not campaign.usage_filename
    usage = {
        "部门全称": org.d1.name,
        "信息系统名称": "档案管理系统",
        "设计用户数": 400,
        "有使用记录的用户数": 100,
        "注册用户数": 50,
        "前1年核心业务数据条数": 600,
        "上线后年平均核心业务数据条数": 400,
        "实际投入使用的业务功能点数": 10,
        "设计业务功能点数": 10,
        "实际完成多跨协同部门数": 1,
        "设计多跨协同部门数": 2,
        "实际完成纵向贯通数": 0,
        "设计纵向贯通数": 1,
        "申请共享部门": "财政局、人社局",
        "实际运行时间": 990,
        "应提供服务时间": 1000,
        "实际用户访问量": 10,
        "设计用户访问量": 100,
        **{f"日使用用户数{i}": 25 for i in range(1, 31)},
    }
    resp = c.post(f"/surveys/{campaign.pk}/usage/", {"file": upload(_csv([usage]), "使用情况.csv")})
    assert resp.status_code == 302
    campaign.refresh_from_db()
    assert campaign.usage_filename == "使用情况.csv"
    assert AuditEntry.objects.filter(action="survey_usage").count() == 1

    # 访问量 10 / 设计 100 = 0.1 < 0.2: the seed's condition 3 (resources idle) now fires.
    zombies = selectors.consolidated(campaign=campaign)["zombies"]
    assert [(z["信息系统名称"], any("访问量" in r for r in z["原因"])) for z in zombies] == [
        ("档案管理系统", True)
    ]
    # The office sets the threshold (the seed says only “相差较远”): at 5 %, 10 / 100 = 0.1 no longer fires.
    assert "本平台默认值" in c.get(f"/surveys/{campaign.pk}/summary/").content.decode()
    assert c.post(f"/surveys/{campaign.pk}/thresholds/", {"设计指标比例下限": "5%"}).status_code == 302
    campaign.refresh_from_db()
    assert campaign.zombie_thresholds == {"设计指标比例下限": 0.05}
    assert selectors.consolidated(campaign=campaign)["zombies"] == []
    entry = AuditEntry.objects.get(action="survey_thresholds")
    assert entry.after == {"设计指标比例下限": 0.05}
    html = c.get(f"/surveys/{campaign.pk}/summary/").content.decode()
    assert 'value="5%"' in html and "评估办设定" in html
    # Out of range: a Chinese message, nothing changed; a filler may not set thresholds.
    resp = c.post(f"/surveys/{campaign.pk}/thresholds/", {"设计指标比例下限": "50"}, follow=True)
    assert "须在 0 到 1 之间" in resp.content.decode()
    campaign.refresh_from_db()
    assert campaign.zombie_thresholds == {"设计指标比例下限": 0.05}
    assert client("filler1").post(f"/surveys/{campaign.pk}/thresholds/", {"设计指标比例下限": "0.5"}).status_code == 403

    page = c.get(f"/surveys/{campaign.pk}/selfeval/")
    (row,) = page.context["units"]
    scores = dict(zip([code for code, _n in page.context["indicators"]], row["cells"], strict=True))
    # XT1 100/400 × 5 = 1.25; XT2 D = 25/50 = 0.5 every day → M = 0.5 → 2.5; XT3 600/400 − 1 = 0.5 ≥ 0.5 → 5;
    # XT4 10/10 → 5; XT5 1/2 → 2.5; XT6 0/1 → 0; XT7 2 departments → 2; XT8 990/1000 = 99 % ≥ 99 % → 5.
    expected = {"XT1": 1.25, "XT2": 2.5, "XT3": 5, "XT4": 5, "XT5": 2.5, "XT6": 0, "XT7": 2, "XT8": 5}
    assert scores == pytest.approx(expected)
    # 23.25 of 40 → 23.25 / 40 × 100 = 58.125
    assert row["score"] == pytest.approx(58.125, abs=0.01)
    assert client("filler1").get(f"/surveys/{campaign.pk}/selfeval/").status_code == 403


def test_round_fill_page_shows_the_unit_master_data(org):
    # 一表通: the contact entered once on the unit page appears on the evaluation round's fill page
    unit_profile_update(user=org.office, unit=org.d1, data=master(org.d1.name, contact="赵六"))
    html = client("filler1").get(f"/rounds/{org.round.pk}/units/D01/").content.decode()
    assert "赵六" in html
