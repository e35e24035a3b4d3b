import csv

import pytest


@pytest.fixture
def write_csv(tmp_path):
    def write(name, rows):
        path = tmp_path / name
        with path.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(rows)
        return path
    return write


@pytest.fixture
def write_xlsx(tmp_path):
    from openpyxl import Workbook

    def write(name, sheets):
        wb = Workbook()
        wb.remove(wb.active)
        for title, rows in sheets.items():
            ws = wb.create_sheet(title)
            for r in rows:
                ws.append(list(r))
        path = tmp_path / name
        wb.save(path)
        return path
    return write
