"""Pages and exports name inputs by their Chinese label, never by the system file's identifier."""

from __future__ import annotations

import io

from django.test import Client
from openpyxl import load_workbook
from webtools import PASSWORD


def _client(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def test_completeness_page_and_export_show_labels_not_identifiers(org):
    # Nothing is filled yet: indicator 4's manual input (identifier "score", label 评分) is missing for every unit.
    office = _client("office")
    page = office.get(f"/rounds/{org.round.pk}/completeness/").content.decode()
    assert "4·评分" in page and "4·score" not in page
    book = load_workbook(io.BytesIO(office.get(f"/rounds/{org.round.pk}/completeness.xlsx").content))
    missing = [row[7] for row in book.active.iter_rows(min_row=2, values_only=True)]
    assert missing and all("4·评分" in m and "score" not in m for m in missing), missing


def test_provider_page_shows_kinds_in_chinese(org):
    page = _client("provider").get(f"/rounds/{org.round.pk}/provider/").content.decode()
    assert "<td>个数</td>" in page or "<td>数值</td>" in page, page[:2000]
    for identifier in ("<td>count</td>", "<td>number</td>", "<td>percent</td>"):
        assert identifier not in page
