"""The questionnaire core imports no web framework: the web platform calls it, never the reverse."""

from __future__ import annotations

import subprocess
import sys


def test_questionnaire_does_not_import_django():
    code = ("import govassess.questionnaire.cli, govassess.questionnaire.indices, govassess.questionnaire.output, sys\n"
            "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'rest_framework')"
            " or m.startswith('govassess.web'))))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""
