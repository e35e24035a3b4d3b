"""Issue 17: an indicator system's definition cannot change while a round uses it — not by re-importing its
YAML, not in the admin, not by saving the model — and each refusal says why in Chinese and is audited. A
changed definition becomes a new system ("复制为新版本" in the admin)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from webtools import MINI, PASSWORD

from govassess.errors import UserError
from govassess.web.audit.models import AuditEntry
from govassess.web.systems.models import System
from govassess.web.systems.services import system_import


def _changed_yaml(tmp_path) -> Path:
    """The same id (web-mini), indicator 1 now worth 50 points instead of 60."""
    text = MINI.read_text(encoding="utf-8")
    assert "points: 60" in text
    path = tmp_path / "web-mini-changed.yaml"
    path.write_text(
        text.replace("points: 60", "points: 50").replace("total: 100", "total: 90"), encoding="utf-8"
    )
    return path


def _office() -> Client:
    client = Client()
    assert client.login(username="office", password=PASSWORD)
    return client


def test_reimport_of_a_system_in_use_is_refused_and_audited(org, tmp_path):
    before = System.objects.get(pk=org.system.pk).yaml_text
    with pytest.raises(UserError) as err:
        system_import(user=org.office, source=str(_changed_yaml(tmp_path)))
    message = str(err.value)
    assert "已被轮次「2021年上半年」使用" in message and "web-mini-v2" in message
    assert System.objects.get(pk=org.system.pk).yaml_text == before
    entry = AuditEntry.objects.get(action="system_change_refused")
    assert entry.object_id == "web-mini" and entry.username == "office"
    assert entry.after["rounds"] == ["2021年上半年"]
    # The demo load (every start) keeps the stored definition instead of failing.
    kept = system_import(user=None, source=str(_changed_yaml(tmp_path)), keep_if_in_use=True)
    assert kept.pk == org.system.pk and kept.yaml_text == before


def test_a_system_no_round_uses_may_still_be_reimported(org, tmp_path):
    from govassess.web.rounds.models import Round

    Round.objects.all().delete()
    system_import(user=org.office, source=str(_changed_yaml(tmp_path)))
    assert "points: 50" in System.objects.get(pk=org.system.pk).yaml_text


def test_model_save_refuses_a_changed_definition(org):
    system = System.objects.get(pk=org.system.pk)
    system.yaml_text = system.yaml_text.replace("points: 60", "points: 50")
    with pytest.raises(UserError, match="体系定义不能再修改"):
        system.save()
    system = System.objects.get(pk=org.system.pk)
    system.name = "网页测试体系（改名）"  # the display name is not the definition
    system.save()
    assert "points: 60" in System.objects.get(pk=org.system.pk).yaml_text


def test_queryset_update_and_bulk_update_refuse_a_changed_definition(org):
    # update() and bulk_update() never call save(); they must not be a way round the guard.
    before = System.objects.get(pk=org.system.pk).yaml_text
    with pytest.raises(UserError, match="体系定义不能再修改"):
        System.objects.filter(pk=org.system.pk).update(yaml_text="id: other")
    system = System.objects.get(pk=org.system.pk)
    system.slug = "renamed"
    with pytest.raises(UserError, match="已被轮次"):
        System.objects.bulk_update([system], ["slug"])
    assert System.objects.get(pk=org.system.pk).yaml_text == before
    assert System.objects.get(pk=org.system.pk).slug != "renamed"
    System.objects.filter(pk=org.system.pk).update(name="网页测试体系（改名）")  # not the definition
    assert System.objects.get(pk=org.system.pk).name == "网页测试体系（改名）"


def test_admin_shows_the_definition_read_only_and_ignores_a_posted_change(org):
    office = _office()
    url = f"/admin/systems/system/{org.system.pk}/change/"
    page = office.get(url).content.decode()
    assert 'name="yaml_text"' not in page and "复制为新版本" in page and "2021年上半年" in page
    before = System.objects.get(pk=org.system.pk).yaml_text
    changed = before.replace("points: 60", "points: 50")
    resp = office.post(url, {"slug": "web-mini", "name": "网页测试体系", "yaml_text": changed})
    assert resp.status_code == 302
    assert System.objects.get(pk=org.system.pk).yaml_text == before


def test_admin_form_refuses_when_a_round_started_using_the_system_meanwhile(org):
    """The page was opened while the system was unused (editable definition); a round took it since."""
    from govassess.web.systems.admin import SystemForm

    system = System.objects.get(pk=org.system.pk)
    form_class = type("F", (SystemForm,), {"request_user": org.office})
    form = form_class(
        instance=system,
        data={
            "slug": "web-mini",
            "name": system.name,
            "yaml_text": system.yaml_text.replace("points: 60", "points: 50"),
        },
    )
    assert not form.is_valid()
    assert "体系定义不能再修改" in str(form.errors)
    assert AuditEntry.objects.filter(action="system_change_refused", username="office").count() == 1


def test_admin_copy_as_new_version(org):
    office = _office()
    page = office.get(f"/admin/systems/system/add/?copy={org.system.pk}").content.decode()
    assert 'value="web-mini-v2"' in page and "id: web-mini-v2" in page
    before = System.objects.get(pk=org.system.pk).yaml_text
    text = before.replace("id: web-mini", "id: web-mini-v2", 1).replace("points: 60", "points: 50")
    resp = office.post(
        "/admin/systems/system/add/",
        {"slug": "web-mini-v2", "name": "网页测试体系（新版本）", "yaml_text": text},
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    assert "points: 50" in System.objects.get(slug="web-mini-v2").yaml_text
    assert System.objects.get(pk=org.system.pk).yaml_text == before
    assert System.objects.get(slug="web-mini-v2").rounds_using() == []


def test_cli_import_of_a_changed_system_in_use_exits_2_with_the_reason(org, tmp_path, settings):
    """`govassess web import-system` on a database whose round uses web-mini: exit 2, no traceback."""
    import os

    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the subprocess needs the test database as a file")
    db = connection.settings_dict["NAME"]
    if not db or db.startswith("file:") or db == ":memory:":
        pytest.skip("in-memory SQLite test database")
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{db}", PYTHONPATH=str(Path(__file__).parents[2] / "src"))
    proc = subprocess.run(
        [sys.executable, "-m", "govassess", "web", "import-system", str(_changed_yaml(tmp_path))],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 2, proc.stderr
    assert "体系定义不能再修改" in proc.stderr + proc.stdout and "Traceback" not in proc.stderr
