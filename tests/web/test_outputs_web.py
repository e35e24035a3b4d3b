"""Web exports keep text typed as a formula as text (issue 17 item 8, issue 16): read back with openpyxl."""

from __future__ import annotations

import io

from django.test import Client
from openpyxl import load_workbook
from webtools import PASSWORD, fill_all

HOSTILE = '=HYPERLINK("http://x","点我")'


def _client(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def _texts(data: bytes) -> set[str]:
    texts = set()
    for ws in load_workbook(io.BytesIO(data)).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.add(cell.value)
    return texts


def test_round_exports_never_carry_a_formula(org):
    from govassess.web.organisation.services import unit_upsert
    from govassess.web.rounds.services import input_value_set

    unit_upsert(user=org.office, code="D01", name=HOSTILE, unit_class="市级部门")
    fill_all(org)
    input_value_set(user=org.filler1, round=org.round, unit=org.d1, indicator="2", input="接入方式", value="是",
                    note="@SUM(A1)", expected_version=1)
    input_value_set(user=org.reviewer, round=org.round, unit=org.d1, indicator="4", input="score", value="7",
                    note="=1+1", expected_version=1)
    office = _client("office")
    r = org.round.pk
    unit_tpl = office.get(f"/rounds/{r}/units/D01/template.xlsx")
    assert unit_tpl.status_code == 200
    assert {HOSTILE, "@SUM(A1)", "=1+1"} <= _texts(unit_tpl.content)
    provider_tpl = _client("provider").get(f"/rounds/{r}/provider/template.xlsx")
    assert provider_tpl.status_code == 200
    assert HOSTILE in _texts(provider_tpl.content)
    comp = office.get(f"/rounds/{r}/completeness.xlsx")
    assert comp.status_code == 200 and HOSTILE in _texts(comp.content)
    audit = office.get(f"/rounds/{r}/audit.xlsx")
    assert audit.status_code == 200
    assert any("=1+1" in t for t in _texts(audit.content))
    accounts = office.get("/accounts/manage/template.xlsx")
    assert accounts.status_code == 200 and HOSTILE in _texts(accounts.content)
