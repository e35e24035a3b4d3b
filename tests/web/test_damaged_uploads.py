"""Issue 15: each damaged-file class of tests/regressions (junk named .xlsx, sheet XML cut short, a merged
range to XFD200000, a stray cell at XFD200000, a GBK file, YAML resource attacks) uploaded through every web
import gives the located message the command line gives, on a 200 page, with nothing stored."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from webtools import PASSWORD

from govassess.errors import UserError
from govassess.web.organisation.models import Unit
from govassess.web.rounds.models import InputValue
from govassess.web.survey import services as survey_services
from govassess.web.systems.models import System

FILES = Path(__file__).resolve().parents[1] / "regressions" / "files"

# file in tests/regressions/files → what the message must say besides the file's name (as in
# tests/regressions/test_input_classes.py, where the same files go through the command line).
WORKBOOKS = {
    "junk.xlsx": "无法读取工作簿",
    "units-broken-sheet.xlsx": "损坏",
    "units-merged-xfd.xlsx": "A3:XFD200000",
    "inputs-far-cell.xlsx": "XFD 列、第 200000 行",
}


def client(username: str) -> Client:
    c = Client()
    assert c.login(username=username, password=PASSWORD)
    return c


def upload(name: str, as_name: str | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(as_name or name, (FILES / name).read_bytes())


def page_text(resp) -> str:
    """What the user reads: the flash messages and the page body, tags stripped."""
    msgs = " ".join(str(m) for m in resp.context["messages"]) if resp.context and "messages" in resp.context else ""
    body = re.sub(r"<[^>]+>", " ", resp.content.decode("utf-8"))
    return msgs + " " + re.sub(r"\s+", " ", body)


def assert_refused(resp, name: str, needle: str) -> None:
    assert resp.status_code in (200, 400), resp.status_code
    text = page_text(resp)
    assert name in text and needle in text, text[:3000]
    assert "内部错误" not in text and "Traceback" not in text and "Error" not in text
    # The server's temporary folder is no place the user can look at.
    assert "govassess-up-" not in text and "/tmp/" not in text, text[:3000]


@pytest.mark.parametrize("name", sorted(WORKBOOKS))
def test_inputs_import_by_a_filler(org, name):
    resp = client("filler1").post(f"/rounds/{org.round.pk}/units/D01/upload/", {"file": upload(name)}, follow=True)
    assert_refused(resp, name, WORKBOOKS[name])
    assert not InputValue.objects.exists()


@pytest.mark.parametrize("name", sorted(WORKBOOKS))
def test_inputs_import_by_a_provider(org, name):
    resp = client("provider").post(f"/rounds/{org.round.pk}/provider/upload/", {"file": upload(name)}, follow=True)
    assert_refused(resp, name, WORKBOOKS[name])
    assert not InputValue.objects.exists()


@pytest.fixture
def campaign(org):
    from datetime import date, timedelta

    from django.utils import timezone

    return survey_services.campaign_create(
        user=org.office, name="2017年政务信息系统普查", cutoff=date(2017, 12, 31),
        deadline=timezone.now() + timedelta(days=7),
    )


@pytest.mark.parametrize("name", sorted(WORKBOOKS))
def test_survey_import(org, campaign, name):
    from govassess.web.survey.models import Response

    resp = client("filler1").post(f"/surveys/{campaign.pk}/units/D01/upload/", {"file": upload(name)}, follow=True)
    assert_refused(resp, name, WORKBOOKS[name])
    assert not Response.objects.exists()


@pytest.mark.parametrize("name", sorted(WORKBOOKS))
def test_accounts_import(org, name):
    before = get_user_model().objects.count()
    resp = client("office").post("/accounts/manage/import/", {"file": upload(name)}, follow=True)
    assert_refused(resp, name, WORKBOOKS[name])
    assert get_user_model().objects.count() == before


@pytest.mark.parametrize("name", sorted(WORKBOOKS))
def test_units_import(org, tmp_path, name):
    # Units reach the platform through `govassess web import-units` (the service below); all or nothing.
    from govassess.web.organisation.services import units_import

    before = list(Unit.objects.values_list("code", "name"))
    path = tmp_path / name
    path.write_bytes((FILES / name).read_bytes())
    with pytest.raises(UserError) as err:
        units_import(user=None, path=str(path))
    text = str(err.value)
    assert name in text and WORKBOOKS[name] in text and "Error" not in text, text
    assert list(Unit.objects.values_list("code", "name")) == before


@pytest.mark.parametrize(
    ("name", "needle"),
    [("system-laughs.yaml", "超过 200000 个节点"), ("system-cycle.yaml", "形成循环"), ("system-list.yaml", "实际是列表"),
     ("formula-parens.yaml", "公式过长"), ("formula-text.yaml", "公式的结果是文字")],
)
def test_system_import_in_the_admin(org, name, needle):
    # The office keeps systems in the admin as YAML text; the text is loaded by the core before it is saved.
    org.office.is_staff = org.office.is_superuser = True
    org.office.save()
    before = System.objects.count()
    text = (FILES / name).read_text(encoding="utf-8")
    resp = client("office").post("/admin/systems/system/add/", {"slug": "x", "name": "体系", "yaml_text": text})
    assert resp.status_code == 200
    page = page_text(resp)
    assert needle in page and "体系定义" in page, page[:3000]
    assert "内部错误" not in page and "Traceback" not in page
    assert System.objects.count() == before


def test_records_archive_that_is_not_a_zip(org):
    from govassess.web.feeds.models import RecordSet

    resp = client("office").post(
        "/feeds/records/upload/", {"name": "办件记录", "archive": upload("junk.xlsx", "记录.zip")}, follow=True
    )
    assert resp.status_code == 200
    text = page_text(resp)
    assert "记录.zip" in text and "ZIP" in text.upper(), text[:3000]
    assert "内部错误" not in text and "/tmp/" not in text
    assert not RecordSet.objects.exists()


def _record_set(org):
    import io
    import zipfile

    from govassess.web.feeds import services as feeds_services

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("units.csv", "unit,name,class\nD01,甲,市级部门\n")
        z.writestr("cases.csv", "case_id,unit,item_code,item_type,channel,accepted_at,finished_at\n"
                   "c1,D01,I1,行政许可,网上,2021-03-01 09:00:00,2021-03-02 09:00:00\n")
    return feeds_services.records_upload(user=org.office, name="记录", upload=SimpleUploadedFile("r.zip", buf.getvalue()))


def test_metrics_map_upload_in_gbk(org):
    from govassess.web.feeds.models import MetricsRun

    rs = _record_set(org)
    resp = client("office").post(
        f"/feeds/records/{rs.pk}/run/",
        {"period_from": "2021-01-01", "period_to": "2021-06-30", "engine": "duckdb", "map_ref": "upload",
         "map_file": upload("metrics-map-gbk.yaml")},
        follow=True,
    )
    assert_refused(resp, "metrics-map-gbk.yaml", "GBK")
    assert not MetricsRun.objects.exists()
