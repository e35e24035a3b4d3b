"""Helpers shared by the views of every app: user errors as messages, round and unit lookup with checks."""

from __future__ import annotations

import functools

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404

from govassess.errors import UserError
from govassess.web.organisation.models import Unit
from govassess.web.rounds import policy
from govassess.web.rounds.models import Round


def show_user_error(request, err: UserError) -> None:
    for p in err.problems[:200]:
        messages.error(request, str(p))
    if len(err.problems) > 200:
        messages.error(request, f"……另有 {len(err.problems) - 200} 处问题未列出")


def back(request, fallback: str = "/") -> HttpResponseRedirect:
    # Only same-site paths: never redirect to a user-supplied absolute URL.
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not target.startswith("/") or target.startswith("//"):
        target = fallback
    return HttpResponseRedirect(target)


def user_errors_to_messages(fallback):
    """Decorator for POST views: a UserError becomes messages and a redirect to `fallback(request, **kw)`."""

    def deco(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                return view(request, *args, **kwargs)
            except UserError as err:
                show_user_error(request, err)
                return back(request, fallback(request, *args, **kwargs))

        return wrapper

    return deco


def get_round(user, pk: int) -> Round:
    rnd = get_object_or_404(Round.objects.select_related("system"), pk=pk)
    if not policy.can_view_round(user, rnd):
        raise PermissionDenied("您无权查看该评估轮次。")
    return rnd


def get_unit(code: str) -> Unit:
    return get_object_or_404(Unit, code=code)


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None
