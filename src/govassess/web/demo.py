"""The demo organisation of `govassess serve`: both 阳江 2021 systems, the 41 departments and 7 counties,
one account per role, and one open round per system."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from govassess.data import yangjiang
from govassess.demo import COUNTY_SIZES, NO_APPLICATION, NO_LICENSE
from govassess.web.accounts.models import Role
from govassess.web.accounts.services import account_create
from govassess.web.organisation.models import Unit
from govassess.web.organisation.services import unit_upsert
from govassess.web.rounds.models import Round, RoundState
from govassess.web.rounds.services import round_create, round_transition
from govassess.web.systems.models import AssignmentKind
from govassess.web.systems.selectors import system_fields
from govassess.web.systems.services import assignment_set, system_import

SYSTEMS = ("yangjiang-2021-dept", "yangjiang-2021-county")

# (username, role, display name, unit code or None, department)
ACCOUNTS = (
    ("office", Role.OFFICE, "评估办管理员", None, "评估办"),
    ("dept_filler", Role.FILLER, "部门填报员", "D01", ""),
    ("county_filler", Role.FILLER, "县区填报员", "X01", ""),
    ("provider", Role.PROVIDER, "数据提供部门", None, "市政务服务数据管理局"),
    ("reviewer", Role.REVIEWER, "评审专家", None, ""),
    ("leader", Role.LEADER, "领导", None, ""),
)


def demo_units() -> list[tuple[str, str, str]]:
    """(code, name, class): D01…D41 in the order of the notice, then X01…X07."""
    out = [(f"D{i:02d}", name, yangjiang.DEPARTMENT_CLASS) for i, name in enumerate(yangjiang.DEPARTMENTS, 1)]
    out += [(f"X{i:02d}", name, yangjiang.COUNTY_CLASS) for i, name in enumerate(yangjiang.COUNTIES, 1)]
    return out


def _accounts_file() -> Path:
    return Path(settings.DATA_DIR) / "demo-accounts.txt"


def demo_load() -> list[tuple[str, str, str]]:
    """Idempotent. Returns (username, role label, password) of the demo accounts; the passwords are kept
    in the data dir (mode 600) so that later starts can print them again."""
    User = get_user_model()
    saved: dict[str, str] = {}
    path = _accounts_file()
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if "\t" in line:
                name, pw = line.split("\t", 1)
                saved[name] = pw
    with transaction.atomic():
        # Rounds already use the stored systems: an upgraded built-in definition must not change them.
        systems = [system_import(user=None, source=s, keep_if_in_use=True) for s in SYSTEMS]
        for code, name, cls in demo_units():
            if not Unit.objects.filter(code=code).exists():
                # The same unit attributes as the CLI demo: some 党委部门 / 垂直管理 units hold no 行政许可 or
                # 依申请 items, so those indicators are not applicable to them; the office corrects them in admin.
                attrs = {
                    "has_license_items": 0 if name in NO_LICENSE else 1,
                    "has_application_items": 0 if name in NO_APPLICATION else 1,
                }
                if name in COUNTY_SIZES:  # what 县(市、区) indicators 19/20/22 divide by
                    attrs.update(zip(("population", "enterprises", "staff"), COUNTY_SIZES[name], strict=True))
                unit_upsert(user=None, code=code, name=name, unit_class=cls, attributes=attrs)
        office = None
        for username, role, display, unit_code, dept in ACCOUNTS:
            user = User.objects.filter(username=username).first()
            if user is None:
                pw = saved.get(username) or secrets.token_urlsafe(9)
                saved[username] = pw
                user = account_create(
                    actor=None,
                    username=username,
                    password=pw,
                    role=role,
                    display_name=display,
                    unit=Unit.objects.get(code=unit_code) if unit_code else None,
                    department=dept,
                )
            if role == Role.OFFICE:
                office = user
        provider = User.objects.get(username="provider")
        for system in systems:
            for f in system_fields(system):
                if f.owner == "provider":
                    assignment_set(
                        user=office,
                        system=system,
                        indicator=f.indicator,
                        assignee=provider,
                        kind=AssignmentKind.PROVIDER,
                    )
            if not Round.objects.filter(system=system).exists():
                rnd = round_create(
                    user=office,
                    system=system,
                    name="2021年上半年",
                    deadline=timezone.now() + timedelta(days=30),
                )
                round_transition(user=office, round=rnd, to_state=RoundState.COLLECTING)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{k}\t{v}\n" for k, v in saved.items()), encoding="utf-8")
    path.chmod(0o600)
    labels = dict(Role.choices)
    return [(u, labels[r], saved.get(u, "（已存在，密码未知）")) for u, r, *_ in ACCOUNTS]
