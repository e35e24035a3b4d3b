"""Questionnaires: satisfaction surveys (满意度调查) and mystery visits (暗访) as a data source of a round.

Pure functions over plain data so the CLI and the web platform share them: a :class:`Form` from a workbook
or a built-in definition (:mod:`.definition`), responses checked against it (:mod:`.responses`) and the
indices per unit and class (:mod:`.indices`). Format and formulas: docs/questionnaire.md.
"""

from .definition import BUILTIN, builtin_form, load_form, write_form
from .model import Choice, Form, Group, Question, Settings

__all__ = ["BUILTIN", "Choice", "Form", "Group", "Question", "Settings", "builtin_form", "load_form", "write_form"]
