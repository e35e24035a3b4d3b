"""`govassess serve` / `govassess web demo`: the demo organisation of 阳江 2021."""

from __future__ import annotations

from django.contrib.auth import authenticate

from govassess.cli import build_parser
from govassess.web.accounts.models import Profile, Role
from govassess.web.demo import demo_load
from govassess.web.organisation.models import Unit
from govassess.web.rounds.models import Round
from govassess.web.systems.models import Assignment, System


def test_serve_and_web_commands_are_registered():
    parser = build_parser()
    args = parser.parse_args(["serve", "--port", "8123"])
    assert args.port == 8123 and callable(args.handler)
    assert callable(parser.parse_args(["web", "demo"]).handler)
    assert parser.parse_args(["web", "token", "provider"]).username == "provider"


def test_demo_organisation_is_loaded_once(db):
    accounts = demo_load()
    # seed 004: 41 市级部门 and 7 县(市、区)
    assert Unit.objects.filter(unit_class="市级部门").count() == 41
    assert Unit.objects.filter(unit_class="县(市、区)").count() == 7
    assert set(System.objects.values_list("slug", flat=True)) == {
        "yangjiang-2021-dept",
        "yangjiang-2021-county",
    }
    assert {p.role for p in Profile.objects.all()} == set(Role.values)
    assert Round.objects.filter(state="collecting").count() == 2
    # every printed password logs in
    for username, _label, password in accounts:
        assert authenticate(username=username, password=password) is not None, username
    # the demo provider answers for the 系统统计 / 网上抓取 indicators
    assert Assignment.objects.filter(user__username="provider").exists()
    again = demo_load()
    assert again == accounts
    assert Unit.objects.count() == 48 and Round.objects.count() == 2


def test_demo_fill_form_renders_for_a_department(db, client):
    accounts = {u: pw for u, _l, pw in demo_load()}
    assert client.login(username="dept_filler", password=accounts["dept_filler"])
    rnd = Round.objects.get(system__slug="yangjiang-2021-dept")
    resp = client.get(f"/rounds/{rnd.pk}/units/D01/")
    assert resp.status_code == 200
    assert resp.context["unit"].name == "市委办公室(市档案局)"
    assert client.get(f"/rounds/{rnd.pk}/units/X01/").status_code == 403


def test_production_mode_refuses_to_start_without_required_settings(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL")}
    env.update(
        GOVASSESS_ENV="production",
        GOVASSESS_DATA_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="govassess.web.settings",
    )
    code = "import django; django.setup()"
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert proc.returncode != 0
    assert "SECRET_KEY" in proc.stderr
    env.update(
        SECRET_KEY="x" * 50,
        ALLOWED_HOSTS="pg.example.gov.cn",
        DATABASE_URL="sqlite:///" + str(tmp_path / "d"),
    )
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
