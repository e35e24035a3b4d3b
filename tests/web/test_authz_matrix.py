"""Authorisation matrix: every URL of the resolver (a new endpoint fails test_every_url_is_in_the_matrix until it
is listed here) and every admin page of every registered model × every role × own/other unit, in every state of
the round (draft, collecting, reviewing, preliminary, final). "allow" means the role gets past the permission
checks (200, or a redirect carrying a business message); "deny" means 403 (pages, API) or the login redirect
(anonymous, admin). Besides the status, every response a unit, a provider or a leader gets is searched for
what it must not see: another unit's name (before the final publication), values and notes, reviewers' and
provider notes on its own unit before publication — in HTML, JSON and inside xlsx files."""

from __future__ import annotations

import json
import re

import pytest
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


def _evidence(org) -> int:
    """D01's evidence, uploaded by filler1 (stored directly: the matrix needs one in every state)."""
    import uuid
    from pathlib import Path

    from django.conf import settings

    from govassess.web.rounds.models import Evidence

    rel = Path(str(org.round.pk)) / "D01" / f"{uuid.uuid4().hex}.pdf"
    (Path(settings.EVIDENCE_DIR) / rel).parent.mkdir(parents=True, exist_ok=True)
    (Path(settings.EVIDENCE_DIR) / rel).write_bytes(PDF)
    ev = Evidence.objects.create(
        round=org.round, unit=org.d1, indicator="1", original_name="m.pdf", stored_path=str(rel),
        sha256="0" * 64, size=len(PDF), content_type="application/pdf", uploaded_by=org.filler1,
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


def _visits(org) -> dict:
    """A visit of D01 by the matrix's reviewer with one photo (stored directly: the matrix needs one in every
    state); the reviewer is (re-)assigned to the round's plan each time, since the office's plan POST clears it."""
    import datetime as dt
    import uuid
    from pathlib import Path

    from django.conf import settings

    from govassess.web.visits.models import Visit, VisitFile, VisitPlan

    plan, _ = VisitPlan.objects.get_or_create(round=org.round)
    plan.visitors.add(org.reviewer)
    visit = Visit.objects.filter(round=org.round).first() or Visit.objects.create(
        round=org.round, unit=org.d1, visited_at=dt.datetime(2021, 3, 1, 1, 30, tzinfo=dt.UTC), visitor=org.reviewer,
        channel="窗口", outcome="被推诿",
    )
    vf = visit.files.first()
    if vf is None:
        rel = Path(str(org.round.pk)) / "D01" / f"{uuid.uuid4().hex}.jpg"
        (Path(settings.EVIDENCE_DIR) / "visits" / rel).parent.mkdir(parents=True, exist_ok=True)
        (Path(settings.EVIDENCE_DIR) / "visits" / rel).write_bytes(b"\xff\xd8\xff\xe0matrix")
        vf = VisitFile.objects.create(visit=visit, original_name="m.jpg", stored_path=str(rel), sha256="0" * 64,
                                      size=10, content_type="image/jpeg", uploaded_by=org.reviewer)
    return {"round": org.round.pk, "visit": visit.pk, "file": vf.pk}


def _spare_site(org) -> int:
    from govassess.web.feeds.models import UnitSite

    return UnitSite.objects.create(unit=org.d1, url=f"http://127.0.0.1:9/{UnitSite.objects.count()}/").pk


def _weighting(org) -> dict:
    """A draft system (no round uses it) with an AHP task on node A; the matrix's reviewer is invited."""
    from webtools import FIXTURES

    from govassess.web.systems.services import system_import
    from govassess.web.weighting import services as weighting
    from govassess.web.weighting.models import ObjectiveWeighting, WeightingTask

    task = WeightingTask.objects.first()
    if task is None:
        draft = system_import(user=None, source=str(FIXTURES / "weighting-draft.yaml"))
        task = weighting.task_create(user=org.office, system=draft, node="A")
        weighting.task_invite(user=org.office, task=task, expert=org.reviewer)
    ow = ObjectiveWeighting.objects.first() or ObjectiveWeighting.objects.create(
        round=org.round, method="entropy", result={"criteria": ["1"], "names": ["网上办理率"], "weights": [1.0]}
    )
    return {"task": task.pk, "objective": ow.pk}


def _document(org, *, published: bool = False, fresh: bool = False, kind: str = "bulletin", units: bool = False) -> int:
    """A finished document of the round (stored directly, a small PDF: the matrix needs one in every state);
    a 评估报告 also published to the units with ``units``."""
    import uuid
    from pathlib import Path

    from django.utils import timezone

    from govassess.web.documents.models import Document
    from govassess.web.documents.services import documents_dir

    found = Document.objects.filter(published_at__isnull=not published, kind=kind,
                                    units_published_at__isnull=not units).first()
    if found is not None and not fresh:
        return found.pk
    rel = Path(str(org.round.pk)) / f"{uuid.uuid4().hex}.pdf"
    (documents_dir() / rel).parent.mkdir(parents=True, exist_ok=True)
    (documents_dir() / rel).write_bytes(PDF)
    return Document.objects.create(
        round=org.round, kind=kind, format="pdf", status="done", file_path=str(rel), size=len(PDF),
        published_at=timezone.now() if published else None, units_published_at=timezone.now() if units else None,
    ).pk


def _template(org) -> int:
    """An office 文档模板 without logo (the matrix needs one to edit, download and delete)."""
    import struct
    import zlib

    from govassess.web.documents.models import DocumentTemplate
    from govassess.web.documents.services import documents_dir

    found = DocumentTemplate.objects.filter(name="矩阵模板").first()
    if found is not None:
        return found.pk

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(b"\x00\xa6\x1b\x1b")) + chunk(b"IEND", b""))
    (documents_dir() / "templates").mkdir(parents=True, exist_ok=True)
    (documents_dir() / "templates" / "matrix.png").write_bytes(png)
    return DocumentTemplate.objects.create(name="矩阵模板", text="office: 矩阵办", logo_path="templates/matrix.png",
                                           logo_name="标志.png").pk


def _rectification(org) -> dict:
    """A 整改任务 of D01 with an answer's evidence file (stored directly: the matrix needs one in every state)."""
    import datetime as dt
    import uuid
    from pathlib import Path

    from django.conf import settings

    from govassess.web.rectification.models import Task, TaskEvent, TaskEvidence, TaskList

    task = Task.objects.filter(round=org.round, unit=org.d1).first()
    if task is None:
        task_list, _ = TaskList.objects.get_or_create(round=org.round)
        task = Task.objects.create(task_list=task_list, round=org.round, unit=org.d1, indicator="1",
                                   indicator_name="网上办理率", lost=6, reason="矩阵测试", requirement="矩阵整改要求",
                                   deadline=dt.date(2030, 1, 1))
        event = TaskEvent.objects.create(task=task, kind="answer", text="矩阵答复", user=org.filler1)
        rel = Path("rectification") / str(org.round.pk) / "D01" / f"{uuid.uuid4().hex}.pdf"
        (Path(settings.EVIDENCE_DIR) / rel).parent.mkdir(parents=True, exist_ok=True)
        (Path(settings.EVIDENCE_DIR) / rel).write_bytes(PDF)
        TaskEvidence.objects.create(task=task, event=event, original_name="z.pdf", stored_path=str(rel),
                                    sha256="0" * 64, size=len(PDF), content_type="application/pdf",
                                    uploaded_by=org.filler1)
    return {"task": task.pk, "evidence": task.evidence.first().pk}


def _spare_account(org) -> int:
    from django.contrib.auth import get_user_model

    from govassess.web.accounts.services import account_create

    spare = get_user_model().objects.filter(username="matrix_spare").first()
    return (spare or account_create(actor=None, username="matrix_spare", password=PASSWORD, role="leader")).pk


def _questionnaire(org, *, fresh_limits: bool = False) -> dict:
    """The round's questionnaire (built-in form) with one suspicious response of D01; public URLs use D03's link
    (a unit whose name no role is barred from: the public page names its unit). `fresh_limits` clears the
    public pages' rate-limit counters, which the matrix's many anonymous posts from one address would exhaust."""
    from django.core.cache import cache

    from govassess.web.questionnaires.models import Link, QResponse, Questionnaire

    if fresh_limits:
        cache.clear()
    q = Questionnaire.objects.filter(round=org.round).first()
    if q is None:
        from govassess.questionnaire import builtin_form
        from govassess.web.questionnaires.services import form_bytes, links_ensure

        form = builtin_form("satisfaction")
        q = Questionnaire.objects.create(round=org.round, title=form.settings.title, source="内置问卷 satisfaction",
                                         form_xlsx=form_bytes(form), salt="matrix", open=True)
        links_ensure(q)
        d1 = Link.objects.get(questionnaire=q, unit=org.d1)
        QResponse.objects.create(questionnaire=q, link=d1, unit=org.d1, answers={"总体满意度": 3},
                                 status="suspicious", reason="矩阵测试")
    rid = QResponse.objects.filter(questionnaire=q).first().pk
    return {"token": Link.objects.get(questionnaire=q, unit=org.d3).token, "response": rid}


# (name, method, url(org, ctx), {state: allowed roles}); unit in URLs is always D01 (filler1's own unit).
def endpoints():
    r = lambda org: org.round.pk  # noqa: E731
    office, review = {"office"}, {"office", "reviewer"}
    unit_readers = {"office", "reviewer", "provider", "filler_own"}
    c, rv, p, f = "collecting", "reviewing", "preliminary", "final"
    everyone = set(ROLES)
    not_leader_until_final = {c: ALL - {"leader"}, p: ALL - {"leader"}, f: ALL}
    own, fillers = {"office", "filler_own"}, {"filler_own", "filler_other"}
    feeds_readers, report_readers = review | fillers, review | {"filler_own"}
    return [
        ("dashboard", "GET", lambda o, x: "/", {c: ALL, p: ALL, f: ALL}),
        ("notifications", "GET", lambda o, x: "/notifications/", {c: ALL, f: ALL}),
        ("password_change", "GET", lambda o, x: "/accounts/password/", {c: ALL}),
        ("otp_setup", "GET", lambda o, x: "/accounts/otp/", {c: review}),
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
        # Units add evidence, reviewers and the office review attachments, providers nothing (issue 17 item 7).
        (
            "evidence_upload",
            "POST",
            lambda o, x: f"/rounds/{r(o)}/units/D01/evidence/",
            {c: {"office", "reviewer", "filler_own"}},
        ),
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
            {c: {"filler_own"}},
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
        (
            "round_results",
            "GET",
            lambda o, x: f"/rounds/{r(o)}/results/",
            {c: set(), rv: review, p: review, f: ALL},
        ),
        # Leader dashboard: published rounds only, office and leaders only.
        (
            "round_overview",
            "GET",
            lambda o, x: f"/rounds/{r(o)}/overview/",
            {c: set(), rv: set(), p: set(), f: {"office", "leader"}},
        ),
        (
            "round_results_export",
            "GET",
            lambda o, x: f"/rounds/{r(o)}/results.xlsx",
            {rv: review, p: review, f: ALL},
        ),
        (
            "scorecard",
            "GET",
            lambda o, x: f"/rounds/{r(o)}/units/D01/scorecard/",
            {
                c: set(),
                rv: review,
                p: {"office", "reviewer", "filler_own"},
                f: {"office", "reviewer", "filler_own", "leader"},
            },
        ),
        (
            "scorecard_export",
            "GET",
            lambda o, x: f"/rounds/{r(o)}/units/D01/scorecard.xlsx",
            {
                rv: review,
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
        ("survey_thresholds", "POST", lambda o, x: f"/surveys/{_survey(o)}/thresholds/", {c: office}),
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
        # Evaluation methods (issue 11): the office; invited experts (the reviewer) see and fill their tasks only.
        ("weighting_index", "GET", lambda o, x: "/weighting/", {c: review}),
        ("weighting_task_create", "POST", lambda o, x: "/weighting/tasks/new/", {c: office}),
        ("weighting_task", "GET", lambda o, x: f"/weighting/tasks/{_weighting(o)['task']}/", {c: review}),
        ("weighting_invite", "POST", lambda o, x: f"/weighting/tasks/{_weighting(o)['task']}/invite/", {c: office}),
        (
            "weighting_aggregation",
            "POST",
            lambda o, x: f"/weighting/tasks/{_weighting(o)['task']}/aggregation/",
            {c: office},
        ),
        (
            "weighting_matrix",
            "POST",
            lambda o, x: f"/weighting/tasks/{_weighting(o)['task']}/matrix/",
            {c: {"reviewer"}},
        ),
        (
            "weighting_upload",
            "POST",
            lambda o, x: f"/weighting/tasks/{_weighting(o)['task']}/upload/",
            {c: {"reviewer"}},
        ),
        ("weighting_combine", "POST", lambda o, x: f"/weighting/tasks/{_weighting(o)['task']}/combine/", {c: office}),
        ("weighting_objective_create", "POST", lambda o, x: "/weighting/objective/new/", {c: office}),
        (
            "weighting_objective",
            "GET",
            lambda o, x: f"/weighting/objective/{_weighting(o)['objective']}/",
            {c: office},
        ),
        ("weighting_task_apply", "POST", lambda o, x: f"/weighting/tasks/{_weighting(o)['task']}/apply/", {c: office}),
        (
            "weighting_objective_apply",
            "POST",
            lambda o, x: f"/weighting/objective/{_weighting(o)['objective']}/apply/",
            {c: office},
        ),
        ("weighting_system_copy", "POST", lambda o, x: "/weighting/systems/copy/", {c: office}),
        # Rank sensitivity: the office starts it once results exist; a final round answers with the lock message.
        (
            "sensitivity_start",
            "POST",
            lambda o, x: f"/rounds/{r(o)}/sensitivity/start/",
            {c: set(), rv: office, p: office, f: office},
        ),
        # The office's documents (issue 12): generated and published by the office (a round not yet final answers
        # with the refusal message); a published 通报 is read by whoever reads the final results; a unit's 成绩单
        # document by whoever sees its scorecard, once the results are published (final).
        ("document_generate", "POST", lambda o, x: f"/rounds/{r(o)}/documents/generate/", {c: office, f: office}),
        ("document_status", "GET", lambda o, x: f"/documents/{_document(o)}/status/", {c: office, f: office}),
        ("document_download", "GET", lambda o, x: f"/documents/{_document(o)}/download/", {c: office, f: office}),
        (
            "document_download_published",
            "GET",
            lambda o, x: f"/documents/{_document(o, published=True)}/download/",
            {f: ALL},
        ),
        (
            "document_publish",
            "POST",
            lambda o, x: f"/documents/{_document(o, fresh=True)}/publish/",
            {c: office, f: office},
        ),
        # A published 评估报告: the office and the leaders; the units once it is also published to them (each
        # gets its own version, other units as codes). The stored file here is a stand-in PDF; a reader without
        # a built version gets the 正在生成 page (its build queued, not rendered in the request): allowed.
        (
            "document_download_full_published",
            "GET",
            lambda o, x: f"/documents/{_document(o, published=True, kind='full')}/download/",
            {c: office, f: office | {"leader"}},
        ),
        (
            "document_download_full_units",
            "GET",
            lambda o, x: f"/documents/{_document(o, published=True, kind='full', units=True)}/download/",
            {c: office, f: office | {"leader"} | fillers},
        ),
        # The 正在生成 page's poll and 重新生成 of a reader's own version (the office reads the document as made).
        (
            "document_version_status",
            "GET",
            lambda o, x: f"/documents/{_document(o, published=True, kind='full', units=True)}/version/status/",
            {c: set(), f: {"leader"} | fillers},
        ),
        (
            "document_version_retry",
            "POST",
            lambda o, x: f"/documents/{_document(o, published=True, kind='full', units=True)}/version/retry/",
            {c: set(), f: {"leader"} | fillers},
        ),
        (
            "document_publish_units",
            "POST",
            lambda o, x: f"/documents/{_document(o, fresh=True, kind='full')}/publish/?audience=units",
            {c: office, f: office},
        ),
        ("scorecard_template_set", "POST", lambda o, x: f"/rounds/{r(o)}/documents/scorecard-template/",
         {c: office, f: office}),
        # 文档模板: the office's, in no round (checked in collecting only).
        ("document_template_list", "GET", lambda o, x: "/documents/templates/", {c: office}),
        ("document_template_create", "GET", lambda o, x: "/documents/templates/new/", {c: office}),
        ("document_template_default", "GET", lambda o, x: "/documents/templates/default.yaml", {c: office}),
        ("document_template_edit", "GET", lambda o, x: f"/documents/templates/{_template(o)}/", {c: office}),
        ("document_template_yaml", "GET", lambda o, x: f"/documents/templates/{_template(o)}/template.yaml",
         {c: office}),
        ("document_template_logo", "GET", lambda o, x: f"/documents/templates/{_template(o)}/logo/", {c: office}),
        ("document_template_delete", "POST", lambda o, x: f"/documents/templates/{_template(o)}/delete/",
         {c: office}),
        (
            "scorecard_document",
            "GET",
            lambda o, x: f"/rounds/{r(o)}/units/D01/documents/scorecard.docx",
            {c: set(), rv: set(), p: set(), f: {"office", "reviewer", "filler_own", "leader"}},
        ),
        # 整改 (issue 12): the tasks of a unit follow its evidence (its own fillers, reviewers, the office; never
        # another unit, a provider or a leader); the office creates and closes (a round not yet final, or a closed
        # list, answers with the refusal message); the unit answers, reviewers and the office review.
        ("rectification_index", "GET", lambda o, x: "/rectification/", {c: review | fillers}),
        (
            "rectification_round",
            "GET",
            lambda o, x: f"/rounds/{r(o)}/rectification/",
            {c: review | fillers, f: review | fillers},
        ),
        ("rectification_create", "POST", lambda o, x: f"/rounds/{r(o)}/rectification/create/", {c: office, f: office}),
        ("rectification_pick", "GET", lambda o, x: f"/rounds/{r(o)}/rectification/units/D01/", {c: office, f: office}),
        (
            "rectification_task",
            "GET",
            lambda o, x: f"/rectification/tasks/{_rectification(o)['task']}/",
            {c: review | {"filler_own"}, f: review | {"filler_own"}},
        ),
        (
            "rectification_answer",
            "POST",
            lambda o, x: f"/rectification/tasks/{_rectification(o)['task']}/answer/",
            {c: {"filler_own"}, f: {"filler_own"}},
        ),
        (
            "rectification_review",
            "POST",
            lambda o, x: f"/rectification/tasks/{_rectification(o)['task']}/review/",
            {c: review, f: review},
        ),
        (
            "rectification_evidence",
            "GET",
            lambda o, x: f"/rectification/evidence/{_rectification(o)['evidence']}/",
            {c: review | {"filler_own"}, f: review | {"filler_own"}},
        ),
        ("rectification_close", "POST", lambda o, x: f"/rounds/{r(o)}/rectification/close/", {c: office, f: office}),
        # The task list as Excel: whoever sees the page, a unit its own tasks only (searched for others' data).
        (
            "rectification_export",
            "GET",
            lambda o, x: f"/rounds/{r(o)}/rectification/tasks.xlsx",
            {c: review | fillers, f: review | fillers},
        ),
        # Editing / withdrawing one task: the office only (the empty POST is refused with a message).
        (
            "rectification_edit",
            "POST",
            lambda o, x: f"/rectification/tasks/{_rectification(o)['task']}/edit/",
            {c: office, f: office},
        ),
        (
            "rectification_withdraw",
            "POST",
            lambda o, x: f"/rectification/tasks/{_rectification(o)['task']}/withdraw/",
            {c: office, f: office},
        ),
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
        # The office removes another account's 动态口令 (a spare account without one: the refusal message).
        (
            "account_otp_reset",
            "POST",
            lambda o, x: f"/accounts/manage/{_spare_account(o)}/otp/reset/",
            {c: office},
        ),
        ("login", "GET", lambda o, x: "/accounts/login/", {c: everyone}),
        ("notifications_read", "POST", lambda o, x: "/notifications/read/", {c: ALL}),
        ("admin", "GET", lambda o, x: "/admin/", {c: office}),
        ("api_schema", "GET", lambda o, x: "/api/schema/", {c: everyone}),  # the API's description, no data
        # three yes/no facts for monitoring, no data: the same for everyone in every state
        ("healthz", "GET", lambda o, x: "/healthz", dict.fromkeys(("draft", c, rv, p, f), everyone)),
        ("api_rounds", "GET", lambda o, x: "/api/v1/rounds/", {c: ALL}),
        ("api_units", "GET", lambda o, x: "/api/v1/units/", {c: ALL}),
        ("api_fields", "GET", lambda o, x: f"/api/v1/rounds/{r(o)}/fields/", not_leader_until_final),
        (
            "api_inputs",
            "GET",
            lambda o, x: f"/api/v1/rounds/{r(o)}/inputs/",
            {c: {"office", "reviewer", "provider", "filler_own", "filler_other"}, f: ALL - {"leader"}},
        ),
        (
            "api_inputs_other_unit",
            "GET",
            lambda o, x: f"/api/v1/rounds/{r(o)}/inputs/?unit=D02",
            {c: {"office", "reviewer", "provider", "filler_own", "filler_other"}, f: ALL - {"leader"}},
        ),
        # A push of D02's stored value: accepted (nothing to store) from those who may read it anyway — the
        # office, reviewers, D02's own filler; refused for anyone else (filler1: 403 before any comparison),
        # and on a final round refused for all with the lock message.
        (
            "api_inputs_push",
            "JSON",
            lambda o, x: f"/api/v1/rounds/{r(o)}/inputs/",
            {c: {"office", "reviewer", "filler_other"}, p: {"office", "reviewer", "filler_other"}, f: set()},
        ),
        # 暗访 (issue 14): the office and the reviewers it assigned to the round record visits; units see their
        # own visits' outcomes only from the preliminary publication on; the office plans, excludes, imports
        # and writes the metrics (on a final round: the lock message).
        ("visits_index", "GET", lambda o, x: "/visits/", {"draft": ALL, c: ALL, f: ALL}),
        ("visits_template", "GET", lambda o, x: "/visits/template.xlsx", {"draft": review, c: review}),
        (
            "visits_round",
            "GET",
            lambda o, x: f"/visits/rounds/{_visits(o)['round']}/",
            {c: review, p: review | fillers, f: review | fillers},
        ),
        ("visit_new", "GET", lambda o, x: f"/visits/rounds/{_visits(o)['round']}/new/", {c: review, f: review}),
        ("visits_plan", "POST", lambda o, x: f"/visits/rounds/{_visits(o)['round']}/plan/", {c: office, f: office}),
        ("visits_push", "POST", lambda o, x: f"/visits/rounds/{_visits(o)['round']}/push/", {c: office, f: office}),
        (
            "visits_import",
            "POST",
            lambda o, x: f"/visits/rounds/{_visits(o)['round']}/import/",
            {c: office, f: office},
        ),
        ("visit_edit", "GET", lambda o, x: f"/visits/{_visits(o)['visit']}/edit/", {c: review, p: review, f: review}),
        ("visit_exclude", "POST", lambda o, x: f"/visits/{_visits(o)['visit']}/exclude/", {c: office, f: office}),
        ("visit_file", "GET", lambda o, x: f"/visits/files/{_visits(o)['file']}/", {c: review, f: review}),
        # 问卷调查 (issue 14): the office's screens in every state (a final round answers POSTs with the lock
        # message); the public answer page of a unit's link: anyone, no login, in every state (the token is the
        # key; a closed collection is a Chinese page saying so). An unknown token is 404 (test_questionnaire_web).
        ("questionnaire_index", "GET", lambda o, x: "/questionnaires/", {c: office}),
        *[
            (name, method, (lambda t: lambda o, x: f"/rounds/{r(o)}/questionnaire/{t(o)}")(tail),
             {c: office, p: office, f: office})
            for name, method, tail in (
                ("questionnaire_office", "GET", lambda o: ""),
                ("questionnaire_attach", "POST", lambda o: "attach/"),
                ("questionnaire_form_export", "GET", lambda o: (_questionnaire(o), "form.xlsx")[1]),
                ("questionnaire_settings", "POST", lambda o: "settings/"),
                ("questionnaire_collection", "POST", lambda o: "collection/"),
                ("questionnaire_codes", "POST", lambda o: (_questionnaire(o), "units/D01/codes/")[1]),
                ("questionnaire_codes_export", "GET", lambda o: (_questionnaire(o), "units/D01/codes.xlsx")[1]),
                ("questionnaire_poster", "GET", lambda o: (_questionnaire(o), "units/D01/poster/")[1]),
                ("questionnaire_posters", "GET", lambda o: (_questionnaire(o), "posters/")[1]),
                ("questionnaire_responses_export", "GET", lambda o: (_questionnaire(o), "responses.csv")[1]),
                ("questionnaire_reinstate", "POST",
                 lambda o: f"responses/{_questionnaire(o)['response']}/reinstate/"),
                ("questionnaire_map", "POST", lambda o: (_questionnaire(o), "map/")[1]),
                ("questionnaire_push", "POST", lambda o: (_questionnaire(o), "push/")[1]),
                ("questionnaire_results", "GET", lambda o: (_questionnaire(o), "results/")[1]),
            )
        ],
        (
            "questionnaire_public",
            "GET",
            lambda o, x: f"/q/{_questionnaire(o)['token']}/",
            dict.fromkeys(("draft", c, rv, p, f), everyone),
        ),
        (
            "questionnaire_public_post",
            "POST",
            lambda o, x: f"/q/{_questionnaire(o, fresh_limits=True)['token']}/",
            dict.fromkeys(("draft", c, rv, p, f), everyone),
        ),
        (
            "questionnaire_asked",
            "POST",
            lambda o, x: f"/q/{_questionnaire(o, fresh_limits=True)['token']}/asked/",
            dict.fromkeys(("draft", c, rv, p, f), everyone),
        ),
    ]


# Not round data: the state of the round does not change who may use them (checked in "collecting" only).
NOT_ROUND = {
    "dashboard", "notifications", "password_change", "round_create", "annual_list", "annual_detail", "annual_export",
    "login", "notifications_read", "admin", "api_schema", "api_rounds", "api_units", "otp_setup",
    "rectification_index", "document_template_list", "document_template_create", "document_template_default",
    "document_template_edit", "document_template_yaml", "document_template_logo", "document_template_delete",
}  # fmt: skip
# URL names that have no row, and why.
EXEMPT = {"logout": "ends the session the matrix's clients share; logging out is tested in test_first_login"}
PUSH_BODY = {"rows": [{"unit": "D02", "indicator": "1", "input": "网上办理率", "value": "43.21%", "note": "他单位说明乙二"}]}


def _expected(name: str, expected: dict, state: str) -> set | None:
    """The roles allowed in `state`; round data not listed for draft / reviewing follows collecting (draft:
    only the office sees a draft round)."""
    if state in expected:
        return expected[state]
    if name in NOT_ROUND or name.startswith(("survey", "unit_profile", "feeds", "account", "weighting")):
        return None
    if "collecting" not in expected:
        return None
    if state == "draft":
        return expected["collecting"] & {"office"}
    if state == "reviewing":
        return expected["collecting"]
    return None


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
    if name == "api_inputs_push":
        return resp.status_code in (400, 403)  # 400: refused rows (located problems) or the final lock
    return resp.status_code == 403


# What each role must never find in a response (state → whether the rule applies). Distinctive strings set
# by _prepare; D02's 网上办理率 is 43.21%.
D01_NOTE, D02_NOTE = "本单位说明甲一", "他单位说明乙二"
REV1, REV2, PROV1 = "专家意见丙三", "专家意见丁四", "部门说明戊五"
# The reviewers' 内部意见 beside D01's and D02's expert scores: never shown to anyone but reviewers and the office.
INT1, INT2 = "内部意见己六", "内部意见庚七"
D02_VALUE = "43.21"


def _forbidden(org, role: str, state: str) -> list[str]:
    before_final = state != "final"
    before_publication = state in ("draft", "collecting", "reviewing")
    out = {
        # Its own expert score's reason (REV1) and provider note explain its scorecard once published.
        "filler_own": [D02_NOTE, REV2, D02_VALUE]
        + ([org.d2.name] if before_final else [])
        + ([PROV1, REV1] if before_publication else []),
        "filler_other": [D01_NOTE, REV1, PROV1]
        + ([org.d1.name] if before_final else [])
        + ([REV2] if before_publication else []),
        "provider": [D01_NOTE, D02_NOTE, REV1, REV2],
        "leader": [D01_NOTE, D02_NOTE, REV1, REV2, PROV1],
    }
    return out.get(role, []) + ([INT1, INT2] if role in out else [])


def _body_text(resp) -> str:
    """A response's text as a reader gets it: HTML, JSON with non-ASCII unescaped, the XML inside xlsx."""
    import io
    import zipfile

    data = b"".join(resp.streaming_content) if resp.streaming else resp.content
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
    if "json" in resp.get("Content-Type", ""):
        try:
            return json.dumps(json.loads(data), ensure_ascii=False)
        except ValueError:
            pass
    return data.decode("utf-8", "replace")


def _prepare(org, state: str) -> dict:
    from govassess.web.rounds.models import Round

    fill_all(org, d2=("43.21%", "否", "5", "10", "6"))
    for user, unit, ind, inp, value, note in (
        (org.filler1, org.d1, "1", "网上办理率", "90%", D01_NOTE),
        (org.filler2, org.d2, "1", "网上办理率", "43.21%", D02_NOTE),
        (org.reviewer, org.d1, "4", "score", "7", REV1),
        (org.reviewer, org.d2, "4", "score", "6", REV2),
        (org.provider, org.d1, "3", "挂接目录数", "8", PROV1),
    ):
        services.input_value_set(
            user=user, round=org.round, unit=unit, indicator=ind, input=inp, value=value, note=note, expected_version=1
        )
    for unit, text in ((org.d1, INT1), (org.d2, INT2)):
        services.input_internal_note_set(
            user=org.reviewer, round=org.round, unit=unit, indicator="4", input="score", text=text
        )
    ctx = {"evidence": _evidence(org)}
    ctx["appeal"] = Appeal.objects.create(round=org.round, unit=org.d1, indicator="2", reason="矩阵测试").pk
    ctx["annual"] = AnnualResult.objects.create(name="年度", rounds=[], results={"units": []}).pk
    services.extension_set(user=org.office, round=org.round, unit=org.d3, deadline=org.round.deadline)
    services.submission_submit(user=org.filler2, round=org.round, unit=org.d2)
    if state != "collecting":
        services.round_transition(user=org.office, round=org.round, to_state="reviewing")
    if state in ("preliminary", "final"):
        services.scoring_start(user=org.office, round=org.round, background=False)
        services.round_transition(user=org.office, round=org.round, to_state="preliminary")
        if state == "final":
            Appeal.objects.filter(pk=ctx["appeal"]).update(status="rejected")
            services.round_transition(user=org.office, round=org.round, to_state="final")
    if state == "draft":
        Round.objects.filter(pk=org.round.pk).update(state="draft")
        org.round.refresh_from_db()
    ctx["run"] = ScoringRun.objects.create(round=org.round, status="done").pk
    return ctx


def _request(client, method: str, target: str):
    if method == "GET":
        return client.get(target)
    if method == "JSON":
        return client.post(target, PUSH_BODY, content_type="application/json")
    return client.post(target, {})


STATES = ["draft", "collecting", "reviewing", "preliminary", "final"]


@pytest.mark.parametrize("state", STATES)
def test_authorisation_matrix(org, state):
    ctx = _prepare(org, state)
    clients = {role: _client(role) for role in ROLES}
    failures = []
    for name, method, url, expected in endpoints():
        allowed_roles = _expected(name, expected, state)
        if allowed_roles is None:
            continue
        for role in ROLES:
            target = url(org, ctx)
            before = _values() if method == "JSON" else None
            resp = _request(clients[role], method, target)
            denied = _denied(name, role, resp)
            allowed = not denied and resp.status_code in (200, 302)
            want = role in allowed_roles
            if want != allowed or (not want and not denied):
                failures.append(
                    f"{state} {name} {method} {target} as {role}: HTTP {resp.status_code}, "
                    f"expected {'allow' if want else 'deny'}"
                )
            if before is not None and not want and _values() != before:
                failures.append(f"{state} {name} as {role}: refused, but stored values changed")
            text = _body_text(resp)
            for secret in _forbidden(org, role, state):
                # A number is matched as a number: 43.21 inside a timestamp ("…:43.214567+08:00") is no leak.
                found = (re.search(rf"(?<![\d.]){re.escape(secret)}(?!\d)", text) if secret == D02_VALUE
                         else secret in text)
                if found:
                    failures.append(f"{state} {name} {target} as {role}: response contains 「{secret}」")
    failures += _admin_failures(org, state, clients)
    assert not failures, "\n".join(failures)


def _values():
    return sorted(InputValue.objects.values_list("unit__code", "indicator", "input", "value", "note", "version"))


ROUND_MODELS = {"round", "extension", "submission", "appeal", "evidence", "scoringrun"}


def _admin_failures(org, state: str, clients) -> list[str]:
    """Every admin page of every registered model: only the office gets in; on a final round the round data's
    delete pages are refused to the office too. Pages of round data in every state, the rest in collecting."""
    from django.contrib import admin

    failures = []
    for model in admin.site._registry:
        app, name = model._meta.app_label, model._meta.model_name
        if state != "collecting" and name not in ROUND_MODELS:
            continue
        base = f"/admin/{app}/{name}/"
        pages = [("changelist", base), ("add", f"{base}add/")]
        obj = model._default_manager.order_by("pk").first()
        if obj is not None:
            pages += [(p, f"{base}{obj.pk}/{p}/") for p in ("change", "delete", "history")]
        for page, target in pages:
            # Every role on the changelist; the staff check is the same on the other pages.
            roles = ROLES if page == "changelist" else ("filler_own", "office")
            for role in roles:
                resp = clients[role].get(target)
                if role != "office":
                    if not _denied("admin", role, resp):
                        failures.append(f"{state} admin {target} as {role}: HTTP {resp.status_code}, expected deny")
                    continue
                locked_delete = state == "final" and name in ROUND_MODELS and page == "delete"
                want = {403} if locked_delete else {200, 403} if page in ("add", "delete") else {200}
                if resp.status_code not in want:
                    failures.append(f"{state} admin {target} as office: HTTP {resp.status_code}, expected {want}")
    return failures


def _url_names() -> set[str]:
    from django.urls import URLResolver, get_resolver

    def walk(patterns, namespace=None):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, p.namespace or namespace)
            elif namespace != "admin":  # admin pages: generated from admin.site's registry above
                yield p.name

    return set(walk(get_resolver().url_patterns))


def test_every_url_is_in_the_matrix(org):
    """A new endpoint must get a row in endpoints() (or a reason in EXEMPT): the matrix cannot be escaped."""
    from django.urls import resolve

    ctx = _prepare(org, "collecting")
    covered = set()
    for _name, _method, url, _expected_roles in endpoints():
        covered.add(resolve(url(org, ctx).split("?")[0]).url_name)
    missing = _url_names() - covered - set(EXEMPT)
    assert not missing, f"URL names without a row in the authorisation matrix: {sorted(missing)}"


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
