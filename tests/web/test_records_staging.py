"""A records upload is extracted into a staging folder: a failed or killed upload leaves no half-filled folder."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from govassess.web.feeds import services
from govassess.web.feeds.models import RecordSet


def _zip(files: dict[str, str]) -> SimpleUploadedFile:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return SimpleUploadedFile("records.zip", buf.getvalue(), content_type="application/zip")


def test_a_failed_extraction_leaves_nothing(org, settings, tmp_path, monkeypatch):
    settings.DATA_DIR = tmp_path
    calls = []
    real = services.shutil.copyfileobj

    def copy_then_fail(src, out, length):
        calls.append(1)
        if len(calls) == 2:  # the disk fills up on the second file
            raise OSError(28, "No space left on device")
        real(src, out, length)

    monkeypatch.setattr(services.shutil, "copyfileobj", copy_then_fail)
    with pytest.raises(OSError):
        services.records_upload(user=org.office, name="x", upload=_zip({"a/cases.csv": "x\n1\n", "a/ratings.csv": "y\n2\n"}))
    assert not RecordSet.objects.exists()
    assert list(services.records_root().iterdir()) == []  # neither the folder nor its staging folder


def test_a_killed_uploads_staging_folder_is_removed_by_the_next_upload(org, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    root = services.records_root()
    left = root / f".41.{dead}-0123abcd.tmp"  # what an upload killed while extracting leaves
    (left / "a").mkdir(parents=True)
    (left / "a" / "cases.csv").write_text("case_id\n", encoding="utf-8")
    rs = services.records_upload(user=org.office, name="上半年", upload=_zip({"a/cases.csv": "case_id,unit\nc1,D01\n"}))
    assert not left.exists()
    assert sorted(p.name for p in root.iterdir()) == [str(rs.pk)]
    assert (root / str(rs.pk) / "a" / "cases.csv").read_text(encoding="utf-8") == "case_id,unit\nc1,D01\n"
    assert rs.path == str(root / str(rs.pk) / "a")  # the ZIP's one top folder holds the records
