"""Shared helpers of the web tests (imported by conftest and the test modules)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
MINI = FIXTURES / "web-mini.yaml"
PASSWORD = "Test-Passw0rd-2021"


class Org:
    """The small organisation every web test uses: 3 departments, 1 county, one account per role."""

    def __init__(self):
        from django.utils import timezone

        from govassess.web.accounts.models import Role
        from govassess.web.accounts.services import account_create
        from govassess.web.organisation.services import unit_upsert
        from govassess.web.rounds.services import round_create, round_transition
        from govassess.web.systems.models import AssignmentKind
        from govassess.web.systems.services import assignment_set, system_import

        self.system = system_import(user=None, source=str(MINI))
        self.d1 = unit_upsert(user=None, code="D01", name="市委办公室(市档案局)", unit_class="市级部门")
        self.d2 = unit_upsert(user=None, code="D02", name="市委宣传部(新闻出版局)", unit_class="市级部门")
        self.d3 = unit_upsert(user=None, code="D03", name="市委统战部(民宗、侨务)", unit_class="市级部门")
        self.x1 = unit_upsert(user=None, code="X01", name="江城区", unit_class="县(市、区)")
        mk = account_create
        self.office = mk(actor=None, username="office", password=PASSWORD, role=Role.OFFICE)
        self.filler1 = mk(actor=None, username="filler1", password=PASSWORD, role=Role.FILLER, unit=self.d1)
        self.filler2 = mk(actor=None, username="filler2", password=PASSWORD, role=Role.FILLER, unit=self.d2)
        self.provider = mk(actor=None, username="provider", password=PASSWORD, role=Role.PROVIDER)
        self.reviewer = mk(actor=None, username="reviewer", password=PASSWORD, role=Role.REVIEWER)
        self.leader = mk(actor=None, username="leader", password=PASSWORD, role=Role.LEADER)
        assignment_set(
            user=self.office,
            system=self.system,
            indicator="3",
            assignee=self.provider,
            kind=AssignmentKind.PROVIDER,
        )
        self.round = round_create(
            user=self.office,
            system=self.system,
            name="2021年上半年",
            deadline=timezone.now() + timedelta(days=7),
        )
        round_transition(user=self.office, round=self.round, to_state="collecting")

    def users(self):
        return {
            "office": self.office,
            "filler1": self.filler1,
            "filler2": self.filler2,
            "provider": self.provider,
            "reviewer": self.reviewer,
            "leader": self.leader,
        }


def fill_all(org, rnd=None, *, d1=("90%", "是", "8", "10", "7"), d2=("50%", "否", "5", "10", "6"), d3=None):
    """Enter every input of D01/D02 (and D03 if given) as the roles that own them."""
    from govassess.web.rounds.services import input_value_set

    rnd = rnd or org.round
    for unit, vals in ((org.d1, d1), (org.d2, d2), (org.d3, d3)):
        if vals is None:
            continue
        rate, access, linked, total, score = vals
        filler = org.filler1 if unit == org.d1 else org.filler2 if unit == org.d2 else org.office
        input_value_set(user=filler, round=rnd, unit=unit, indicator="1", input="网上办理率", value=rate)
        input_value_set(user=filler, round=rnd, unit=unit, indicator="2", input="接入方式", value=access)
        input_value_set(
            user=org.provider, round=rnd, unit=unit, indicator="3", input="挂接目录数", value=linked
        )
        input_value_set(user=org.provider, round=rnd, unit=unit, indicator="3", input="目录总数", value=total)
        input_value_set(
            user=org.reviewer,
            round=rnd,
            unit=unit,
            indicator="4",
            input="score",
            value=score,
            note="材料完整",
        )


def shown_passwords(html: str) -> dict[str, str]:
    """账号管理 result page: username → password as shown in its table (first cell → the <code> cell)."""
    import re

    rows = re.findall(r"<tr><td>([^<]+)</td>.*?<code class=\"password\">([^<]+)</code>", html, re.S)
    return dict(rows)


def accounts_xlsx(rows: list[list]):
    """An upload for 账号管理's bulk creation: sheet 账号 with the four import columns, then `rows`."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "账号"
    ws.append(["账号", "姓名", "角色", "评估对象编码"])
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("账号.xlsx", out.getvalue())
