"""The admin reads Chinese: site header, every app's name, the models of accounts and audit."""

from __future__ import annotations

import re

from django.apps import apps
from django.test import Client
from django.urls import reverse

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_project_app_has_a_chinese_name():
    ours = [a for a in apps.get_app_configs() if a.name.startswith("govassess.")]
    assert len(ours) >= 10  # … weighting (issue 11) and ops (issue 15); later apps add their own
    for app in ours:
        assert CJK.search(str(app.verbose_name)), app.label


def test_admin_index_is_chinese(org):
    client = Client()
    client.force_login(org.office)
    text = client.get(reverse("admin:index")).content.decode()
    assert "数字政府绩效评估平台 · 管理后台" in text and "基础数据管理" in text
    for name in ("账号与角色", "审计日志", "评估对象", "评估轮次与填报", "指标体系"):
        assert name in text
    for english in (">Api<", ">Audit<", ">Organisation<", ">Rounds<", ">Systems<"):
        assert english not in text


def test_account_and_audit_fields_are_chinese():
    from govassess.web.accounts.models import Profile
    from govassess.web.audit.models import AuditEntry

    for model in (Profile, AuditEntry):
        for field in model._meta.concrete_fields:
            if not field.auto_created:
                assert CJK.search(str(field.verbose_name)), f"{model.__name__}.{field.name}"


def test_every_admin_list_opens(org):
    # A column or filter naming a field that is not there fails only when the page is opened.
    from django.contrib import admin

    client = Client()
    client.force_login(org.office)
    for model in admin.site._registry:
        meta = model._meta
        resp = client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        assert resp.status_code == 200, meta.label
