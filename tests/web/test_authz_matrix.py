"""Authorisation matrix: every URL and API endpoint × every role × own/other unit, in the collecting,
preliminary and final states. "allow" means the role gets past the permission checks (200, or a redirect
carrying a business message); "deny" means 403 (pages, API) or the login redirect (anonymous, admin)."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from webtools import PASSWORD, fill_all

from govassess.web.rounds import services
from govassess.web.rounds.models import AnnualResult, Appeal, InputValue, ScoringRun

ROLES = ("anon", "office", "filler_own", "filler_other", "provider", "reviewer", "leader")
ALL = set(ROLES) - {"anon"}
USERNAMES = {
    "office": "office",
    "filler_own": "filler1",
    "filler_other": "filler2",
    "provider": "provider",
    "reviewer": "reviewer",
    "leader": "leader",
}
PDF = b"%PDF-1.4 matrix"


def _evidence(org):
    ev = services.evidence_add(
        user=org.filler1, round=org.round, unit=org.d1, indicator="1", upload=SimpleUploadedFile("m.pdf", PDF)
    )
    return ev.pk


def _survey(org) -> int:
    from datetime import date, timedelta

    from django.utils import timezone

    from govassess.web.survey.models import Campaign

    c = Campaign.objects.first() or Campaign.objects.create(
        name="普查", cutoff=date(2017, 12, 31), deadline=timezone.now() + timedelta(days=7)
    )
    return c.pk


def _feeds(org) -> dict:
    """Feed objects of D01 (no crawl, no DuckDB): a site with a running inspection (so "run now" answers
    with a message instead of starting a job), a finished report, an empty record folder and a finished run."""
    import datetime as dt

    from django.conf import settings

    from govassess.web.feeds.models import InspectionReport, MetricsRun, RecordSet, UnitSite

    site = UnitSite.objects.filter(unit=org.d1).first() or UnitSite.objects.create(
        unit=org.d1, url="http://127.0.0.1:9/"
    )
    if not site.reports.exists():
        InspectionReport.objects.create(site=site, unit=org.d1, as_of=dt.date(2024, 6, 30), status="running")
        InspectionReport.objects.create(
            site=site, unit=org.d1, as_of=dt.date(2024, 6, 30), status="done", report={"checks": []}
        )
    rs = RecordSet.objects.first() or RecordSet.objects.create(name="空", path=str(settings.DATA_DIR))
    run = MetricsRun.objects.first() or MetricsRun.objects.create(
        record_set=rs, period_from=dt.date(2021, 1, 1), period_to=dt.date(2021, 6, 30), status="done"
    )
    report = site.reports.filter(status="done").first()
    return {"site": site.pk, "report": report.pk, "set": rs.pk, "run": run.pk}


def _spare_site(org) -> int:
    from govassess.web.feeds.models import UnitSite

    return UnitSite.objects.create(unit=org.d1, url=f"http://127.0.0.1:9/{UnitSite.objects.count()}/").pk


def _spare_account(org) -> int:
    from django.contrib.auth import get_user_model

    from govassess.web.accounts.services import account_create

    spare = get_user_model().objects.filter(username="matrix_spare").first()
    return (spare or account_create(actor=None, username="matrix_spare", password=PASSWORD, role="leader")).pk


# (name, method, url(org, ctx), {state: allowed roles}); unit in URLs is always D01 (filler1's own unit).
def endpoints():
    r = lambda org: org.round.pk  # noqa: E731
    office, review = {"office"}, {"office", "reviewer"}
    unit_readers = {"office", "reviewer", "provider", "filler_own"}
    c, p, f = "collecting", "preliminary", "final"
    not_leader_until_final = {c: ALL - {"leader"}, p: ALL - {"leader"}, f: ALL}
    own, fillers = {"office", "filler_own"}, {"filler_own", "filler_other"}
    feeds_readers, report_readers = review | fillers, review | {"filler_own"}
    return [
        ("dashboard", "GET", lambda o, x: "/", {c: ALL, p: ALL, f: ALL}),
        ("notifications", "GET", lambda o, x: "/notifications/", {c: ALL, f: ALL}),
        ("password_change", "GET", lambda o, x: "/accounts/password/", {c: ALL}),
        ("round_detail", "GET", lambda o, x: f"/rounds/{r(o)}/", not_leader_until_final),
        ("round_create", "GET", lambda o, x: "/rounds/new/", {c: office, f: office}),
        ("round_edit", "POST", lambda o, x: f"/rounds/{r(o)}/edit/", {c: office, f: office}),
        ("round_state", "POST", lambda o, x: f"/rounds/{r(o)}/state/", {c: office, f: office}),
        ("round_extension", "POST", lambda o, x: f"/rounds/{r(o)}/extensions/", {c: office, f: office}),
        ("round_completeness", "GET", lambda o, x: f"/rounds/{r(o)}/completeness/", {c: review, f: review}),
        ("round_completeness_export", "GET", lambda o, x: f"/rounds/{r(o)}/completeness.xlsx", {c: review}),
        ("unit_form", "GET", lambda o, x: f"/rounds/{r(o)}/units/D01/", {c: unit_readers, f: unit_readers}),
        (
            "unit_form_save",
            "POST",
            lambda o, x: f"/rounds/{r(o)}/units/D01/",
            {c: unit_readers, f: unit_readers},
        ),
        (
            "unit_submit",
            "POST",
            lambda o, x: f"/rounds/{r(o)}/units/D01/submit/",
            {c: {"office", "filler_own"}, f: {"office", "filler_own"}},
        ),
        ("unit_template", "GET", lambda o, x: f"/rounds/{r(o)}/units/D01/template.xlsx", {c: unit_readers}),
        ("unit_upload", "POST", lambda o, x: f"/rounds/{r(o)}/units/D01/upload/", {c: unit_readers}),
        ("evidence_upload", "POST", lambda o, x: f"/rounds/{r(o)}/units/D01/evidence/", {c: unit_readers}),
        (
            "evidence_download",
            "GET",
            lambda o, x: f"/evidence/{x['evidence']}/",
            {c: {"office", "reviewer", "filler_own"}, f: {"office", "reviewer", "filler_own"}},
        ),
        (
            "evidence_delete",
            "POST",
            lambda o, x: f"/evidence/{_evidence(o)}/delete/",
            {c: {"office", "filler_own"}},
        ),
        ("provider_page", "GET", lambda o, x: f"/rounds/{r(o)}/provider/", {c: {"office", "provider"}}),
        (
            "provider_template",
            "GET",
            lambda o, x: f"/rounds/{r(o)}/provider/template.xlsx",
            {c: {"office", "provider"}},
        ),
        (
            "provider_upload",
            "POST",
            lambda o, x: f"/rounds/{r(o)}/provider/upload/",
            {c: {"office", "provider"}},
        ),
        ("review_queue", "GET", lambda o, x: f"/rounds/{r(o)}/review/", {c: review, f: review}),
        ("review_unit", "GET", lambda o, x: f"/rounds/{r(o)}/review/D01/", {c: review, f: review}),
        ("round_score", "POST", lambda o, x: f"/rounds/{r(o)}/score/", {c: office, f: office}),
        ("run_status", "GET", lambda o, x: f"/runs/{x['run']}/", {c: review, f: review}),
        ("round_results", "GET", lambda o, x: f"/rounds/{r(o)}/results/", {c: set(), p: review, f: ALL}),
        ("round_results_export", "GET", lambda o, x: f"/rounds/{r(o)}/results.xlsx", {p: review, f: ALL}),
        (
            "scorecard",
            "GET",
            lambda o, x: f"/rounds/{r(o)}/units/D01/scorecard/",
            {
                c: set(),
                p: {"office", "reviewer", "filler_own"},
                f: {"office", "reviewer", "filler_own", "leader"},
            },
        ),
        (
            "appeal_create",
            "POST",
            lambda o, x: f"/rounds/{r(o)}/units/D01/appeal/",
            {c: {"filler_own"}, p: {"filler_own"}},
        ),
        ("appeal_list", "GET", lambda o, x: f"/rounds/{r(o)}/appeals/", not_leader_until_final),
        (
            "appeal_detail",
            "GET",
            lambda o, x: f"/appeals/{x['appeal']}/",
            {c: {"office", "reviewer", "filler_own"}, f: {"office", "reviewer", "filler_own"}},
        ),
        ("round_audit", "GET", lambda o, x: f"/rounds/{r(o)}/audit/", {c: office, f: office}),
        ("round_audit_export", "GET", lambda o, x: f"/rounds/{r(o)}/audit.xlsx", {c: office, f: office}),
        ("annual_list", "GET", lambda o, x: "/annual/", {c: {"office", "leader"}}),
        ("annual_detail", "GET", lambda o, x: f"/annual/{x['annual']}/", {c: {"office", "leader"}}),
        (
            "annual_export",
            "GET",
            lambda o, x: f"/annual/{x['annual']}/annual.xlsx",
            {c: {"office", "leader"}},
        ),
        # Survey campaigns and 一表通 master data (independent of the round's state: checked once).
        ("survey_list", "GET", lambda o, x: "/surveys/", {c: fillers | office}),
        ("survey_create", "GET", lambda o, x: "/surveys/new/", {c: office}),
        ("survey_detail", "GET", lambda o, x: f"/surveys/{_survey(o)}/", {c: fillers | office}),
        ("survey_extension", "POST", lambda o, x: f"/surveys/{_survey(o)}/extensions/", {c: office}),
        ("survey_summary", "GET", lambda o, x: f"/surveys/{_survey(o)}/summary/", {c: office}),
        ("survey_summary_export", "GET", lambda o, x: f"/surveys/{_survey(o)}/summary.xlsx", {c: office}),
        ("survey_usage", "POST", lambda o, x: f"/surveys/{_survey(o)}/usage/", {c: office}),
        ("survey_selfeval", "GET", lambda o, x: f"/surveys/{_survey(o)}/selfeval/", {c: office}),
        ("survey_unit", "GET", lambda o, x: f"/surveys/{_survey(o)}/units/D01/", {c: own}),
        ("survey_template", "GET", lambda o, x: f"/surveys/{_survey(o)}/units/D01/template.xlsx", {c: own}),
        ("survey_upload", "POST", lambda o, x: f"/surveys/{_survey(o)}/units/D01/upload/", {c: own}),
        ("survey_submit", "POST", lambda o, x: f"/surveys/{_survey(o)}/units/D01/submit/", {c: own}),
        ("survey_workbook", "GET", lambda o, x: f"/surveys/{_survey(o)}/units/D01/workbook.xlsx", {c: own}),
        ("survey_systems", "GET", lambda o, x: f"/surveys/{_survey(o)}/units/D01/systems/", {c: own}),
        ("survey_systems_save", "POST", lambda o, x: f"/surveys/{_survey(o)}/units/D01/systems/", {c: own}),
        ("unit_profile", "GET", lambda o, x: "/units/D01/profile/", {c: own}),
        ("unit_profile_save", "POST", lambda o, x: "/units/D01/profile/", {c: own}),
        ("unit_profile_history", "GET", lambda o, x: "/units/D01/profile/history/", {c: own}),
        # Data feeds (网上抓取 / 系统统计 / monitoring): independent of the round's state, checked in two states.
        ("feeds_index", "GET", lambda o, x: "/feeds/", {c: feeds_readers, f: feeds_readers}),
        ("feeds_site_add", "POST", lambda o, x: "/feeds/sites/add/", {c: office, f: office}),
        ("feeds_site_update", "POST", lambda o, x: f"/feeds/sites/{_feeds(o)['site']}/update/", {c: office}),
        ("feeds_site_delete", "POST", lambda o, x: f"/feeds/sites/{_spare_site(o)}/delete/", {c: office}),
        (
            "feeds_site_inspect",
            "POST",
            lambda o, x: f"/feeds/sites/{_feeds(o)['site']}/inspect/",
            {c: office},
        ),
        ("feeds_report", "GET", lambda o, x: f"/feeds/reports/{_feeds(o)['report']}/", {c: report_readers}),
        (
            "feeds_report_json",
            "GET",
            lambda o, x: f"/feeds/reports/{_feeds(o)['report']}/report.json",
            {c: report_readers, f: report_readers},
        ),
        (
            "feeds_report_push",
            "POST",
            lambda o, x: f"/feeds/reports/{_feeds(o)['report']}/push/",
            {c: office},
        ),
        ("feeds_records", "GET", lambda o, x: "/feeds/records/", {c: office}),
        ("feeds_records_upload", "POST", lambda o, x: "/feeds/records/upload/", {c: office}),
        ("feeds_records_server", "POST", lambda o, x: "/feeds/records/server/", {c: office}),
        ("feeds_metrics_start", "POST", lambda o, x: f"/feeds/records/{_feeds(o)['set']}/run/", {c: office}),
        ("feeds_run", "GET", lambda o, x: f"/feeds/runs/{_feeds(o)['run']}/", {c: office, f: office}),
        ("feeds_run_push", "POST", lambda o, x: f"/feeds/runs/{_feeds(o)['run']}/push/", {c: office}),
        ("feeds_volume", "GET", lambda o, x: "/feeds/monitor/volume/", {c: office}),
        ("feeds_ratings", "GET", lambda o, x: "/feeds/monitor/ratings/", {c: office}),
        (
            "feeds_alerts",
            "GET",
            lambda o, x: "/feeds/monitor/alerts/",
            {c: office | fillers, f: office | fillers},
        ),
        ("feeds_volume_export", "GET", lambda o, x: "/feeds/monitor/volume.xlsx", {c: office}),
        ("feeds_alerts_export", "GET", lambda o, x: "/feeds/monitor/alerts.csv", {c: office | fillers}),
        # 账号管理 (office only; actions on a spare account so the matrix's own logins keep working).
        ("account_manage", "GET", lambda o, x: "/accounts/manage/", {c: office}),
        ("account_new", "GET", lambda o, x: "/accounts/manage/new/", {c: office}),
        ("account_new_post", "POST", lambda o, x: "/accounts/manage/new/", {c: office}),
        ("account_import", "GET", lambda o, x: "/accounts/manage/import/", {c: office}),
        ("account_import_post", "POST", lambda o, x: "/accounts/manage/import/", {c: office}),
        ("account_import_template", "GET", lambda o, x: "/accounts/manage/template.xlsx", {c: office}),
        (
            "account_deactivate",
            "POST",
            lambda o, x: f"/accounts/manage/{_spare_account(o)}/deactivate/",
            {c: office},
        ),
        (
            "account_reactivate",
            "POST",
            lambda o, x: f"/accounts/manage/{_spare_account(o)}/reactivate/",
            {c: office},
        ),
        (
            "account_password_reset",
            "POST",
            lambda o, x: f"/accounts/manage/{_spare_account(o)}/password/",
            {c: office},
        ),
        ("admin", "GET", lambda o, x: "/admin/", {c: office}),
        ("admin_units", "GET", lambda o, x: "/admin/organisation/unit/", {c: office}),
        ("api_rounds", "GET", lambda o, x: "/api/v1/rounds/", {c: ALL}),
        ("api_units", "GET", lambda o, x: "/api/v1/units/", {c: ALL}),
        ("api_fields", "GET", lambda o, x: f"/api/v1/rounds/{r(o)}/fields/", not_leader_until_final),
        (
            "api_inputs",
            "GET",
            lambda o, x: f"/api/v1/rounds/{r(o)}/inputs/",
            {c: {"office", "reviewer", "provider", "filler_own", "filler_other"}},
        ),
    ]


def _client(role: str) -> Client:
    client = Client()
    if role != "anon":
        assert client.login(username=USERNAMES[role], password=PASSWORD)
    return client


def _denied(name: str, role: str, resp) -> bool:
    if role == "anon":
        return resp.status_code in (302, 401, 403) and (
            resp.status_code != 302 or "login" in resp["Location"]
        )
    if name.startswith("admin"):
        return resp.status_code == 302 and "/admin/login/" in resp["Location"]
    return resp.status_code == 403


def _prepare(org, state: str) -> dict:
    fill_all(org)
    ctx = {"evidence": _evidence(org)}
    ctx["appeal"] = Appeal.objects.create(round=org.round, unit=org.d1, indicator="2", reason="矩阵测试").pk
    ctx["annual"] = AnnualResult.objects.create(name="年度", rounds=[], results={"units": []}).pk
    if state in ("preliminary", "final"):
        services.round_transition(user=org.office, round=org.round, to_state="reviewing")
        services.scoring_start(user=org.office, round=org.round, background=False)
        services.round_transition(user=org.office, round=org.round, to_state="preliminary")
        if state == "final":
            Appeal.objects.filter(pk=ctx["appeal"]).update(status="rejected")
            services.round_transition(user=org.office, round=org.round, to_state="final")
    ctx["run"] = ScoringRun.objects.create(round=org.round, status="done").pk
    return ctx


@pytest.mark.parametrize("state", ["collecting", "preliminary", "final"])
def test_authorisation_matrix(org, state):
    ctx = _prepare(org, state)
    failures = []
    for name, method, url, expected in endpoints():
        if state not in expected:
            continue
        for role in ROLES:
            client = _client(role)
            target = url(org, ctx)
            resp = client.get(target) if method == "GET" else client.post(target, {})
            denied = _denied(name, role, resp)
            allowed = not denied and resp.status_code in (200, 302)
            want = role in expected[state]
            if want != allowed or (not want and not denied):
                failures.append(
                    f"{state} {name} {method} {target} as {role}: HTTP {resp.status_code}, "
                    f"expected {'allow' if want else 'deny'}"
                )
    assert not failures, "\n".join(failures)


def test_api_inputs_only_show_what_the_role_may_see(org):
    fill_all(org)
    data = json.loads(_client("filler_own").get(f"/api/v1/rounds/{org.round.pk}/inputs/").content)
    assert {row["unit"] for row in data} == {"D01"}
    data = json.loads(_client("provider").get(f"/api/v1/rounds/{org.round.pk}/inputs/").content)
    assert {row["indicator"] for row in data} == {"3"}
    assert {row["unit"] for row in data} == {"D01", "D02"}


def test_api_push_respects_roles_and_is_all_or_nothing(org):
    url = f"/api/v1/rounds/{org.round.pk}/inputs/"
    body = {"rows": [{"unit": "D01", "indicator": "1", "input": "网上办理率", "value": "66%"}]}
    resp = _client("filler_own").post(url, body, content_type="application/json")
    assert resp.status_code == 200 and resp.json() == {"stored": 1}
    before = InputValue.objects.count()
    body = {"rows": [{"unit": "D02", "indicator": "1", "input": "网上办理率", "value": "66%"}]}
    for role in ("filler_own", "provider", "reviewer", "leader", "anon"):
        resp = _client(role).post(url, body, content_type="application/json")
        assert resp.status_code in (400, 401, 403), (role, resp.status_code)
    body = {
        "rows": [
            {"unit": "D01", "indicator": "3", "input": "目录总数", "value": "10"},
            {"unit": "D01", "indicator": "1", "input": "网上办理率", "value": "10%"},
        ]
    }
    resp = _client("provider").post(url, body, content_type="application/json")
    assert resp.status_code == 400
    assert "未分配" in resp.json()["message"]
    assert InputValue.objects.count() == before
