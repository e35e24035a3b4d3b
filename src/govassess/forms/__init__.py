"""Survey forms (政务信息系统调查表): definitions as data, validation, templates, 汇总表 and screening.

The service functions in :mod:`govassess.forms.services` are the public API (see docs/forms.md).
"""

from __future__ import annotations

from govassess.forms.model import Form, list_forms, load_form
from govassess.forms.survey import SurveyData

__all__ = ["Form", "SurveyData", "list_forms", "load_form"]
