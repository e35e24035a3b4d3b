"""Evidence files and rows stay together (issue 15): the bytes get their final name only as the last step of the
transaction storing the row, an error removes them, and what a kill -9 can leave (a .part file, or an
unreferenced file from the instant of the commit) is swept by the next upload into the unit's folder once it is
older than an hour (a younger file may be an upload still under way)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from govassess.web.audit.models import AuditEntry
from govassess.web.rounds import services
from govassess.web.rounds.models import Evidence

PDF = b"%PDF-1.4\n% test evidence\n"


def _add(org, name="a.pdf", data=PDF):
    return services.evidence_add(user=org.filler1, round=org.round, unit=org.d1, indicator="1",
                                 upload=SimpleUploadedFile(name, data))


def _folder(org, settings) -> Path:
    return Path(settings.EVIDENCE_DIR) / str(org.round.pk) / org.d1.code


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_stored_file_has_its_row_and_no_part_file(org, settings):
    ev = _add(org)
    assert _files(_folder(org, settings)) == [Path(ev.stored_path).name]
    assert services.evidence_path(ev).read_bytes() == PDF


def test_a_failure_while_storing_the_row_leaves_no_file(org, settings, monkeypatch):
    _add(org)  # one good file, which must stay
    before = _files(_folder(org, settings))

    def broken(**kwargs):
        raise RuntimeError("audit table unavailable")

    monkeypatch.setattr(services, "audit_record", broken)
    with pytest.raises(RuntimeError):
        _add(org, "b.pdf")
    assert _files(_folder(org, settings)) == before
    assert Evidence.objects.filter(original_name="b.pdf").count() == 0
    assert not AuditEntry.objects.filter(action="evidence_add", after__file="b.pdf").exists()


def test_a_failure_while_receiving_the_bytes_leaves_no_part_file(org, settings):
    class Broken(SimpleUploadedFile):
        def chunks(self, chunk_size=None):
            yield PDF[:8]
            raise OSError("connection reset")

    _folder(org, settings).mkdir(parents=True, exist_ok=True)
    with pytest.raises(OSError):
        services.evidence_add(user=org.filler1, round=org.round, unit=org.d1, indicator="1",
                              upload=Broken("c.pdf", PDF))
    assert _files(_folder(org, settings)) == []
    assert not Evidence.objects.exists()


def test_leftovers_of_a_killed_upload_are_swept_by_the_next_upload(org, settings):
    kept = _add(org)
    folder = _folder(org, settings)
    old = time.time() - services.EVIDENCE_LEFTOVER_AGE - 60
    stale_part = folder / ".0123456789abcdef0123456789abcdef.pdf.part"  # killed while receiving
    orphan = folder / "fedcba9876543210fedcba9876543210.pdf"  # killed between the rename and the commit
    fresh_part = folder / ".00000000000000000000000000000000.pdf.part"  # another upload under way
    other = folder / "说明.txt"  # not a name evidence_add gives: never touched
    for path in (stale_part, orphan, fresh_part, other):
        path.write_bytes(PDF)
    for path in (stale_part, orphan, other):
        os.utime(path, (old, old))
    os.utime(services.evidence_path(kept), (old, old))  # old but referenced: kept
    new = _add(org, "d.pdf")
    assert _files(folder) == sorted([Path(kept.stored_path).name, Path(new.stored_path).name, fresh_part.name,
                                     other.name])
    assert services.evidence_path(kept).read_bytes() == PDF
