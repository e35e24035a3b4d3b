"""The reason shown on an error page: the Chinese message the code raised, never an English internal one."""

from __future__ import annotations

import re

from django import template

register = template.Library()
_CJK = re.compile(r"[\u4e00-\u9fff]")


@register.filter
def user_reason(exception) -> str:
    # policy.require raises PermissionDenied("只有评估办可以…"); Django's own 404s say "No Round matches
    # the given query." — an English message, and one naming a model, is not for the user.
    text = str(exception or "").strip()
    return text if _CJK.search(text) else ""
