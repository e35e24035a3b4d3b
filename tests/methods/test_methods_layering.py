"""The methods package is core: it imports no web framework."""

import subprocess
import sys

MODULES = ("govassess.methods.ahp", "govassess.methods.objective", "govassess.methods.delphi",
           "govassess.methods.apply", "govassess.methods.composite", "govassess.methods.ranking",
           "govassess.methods.sensitivity", "govassess.methods.cli", "govassess.methods.output")


def test_methods_do_not_import_django():
    code = ("import importlib, sys\n"
            f"for m in {MODULES!r}: importlib.import_module(m)\n"
            "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'rest_framework')"
            " or m.startswith('govassess.web'))))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""
