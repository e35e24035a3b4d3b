"""The domain core imports no web framework (STYLE.md: the core never imports an adapter)."""

from __future__ import annotations

import subprocess
import sys

CORE = ("govassess.errors", "govassess.expr", "govassess.rules", "govassess.indicators", "govassess.scoring",
        "govassess.data", "govassess.data.template", "govassess.demo", "govassess.forms", "govassess.metrics",
        "govassess.inspection")


def test_core_does_not_import_django_or_rest_framework():
    code = ("import importlib, sys\n"
            f"for m in {CORE!r}: importlib.import_module(m)\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'rest_framework', 'drf_spectacular')"
            " or m.startswith('govassess.web'))\n"
            "print(','.join(bad))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_openpyxl_parses_workbooks_with_defusedxml():
    # uploaded workbooks are untrusted XML: openpyxl switches to defusedxml when it is installed
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True
