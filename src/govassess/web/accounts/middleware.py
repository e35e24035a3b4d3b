"""First-login password change: a signed-in user whose password the office knows (new account, office reset)
may open nothing but the password change page until the password is changed."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from govassess.web.accounts.selectors import user_profile

MESSAGE = "为了账号安全，请先修改初始密码后再继续使用。"


class ForcePasswordChangeMiddleware:
    """Must come after AuthenticationMiddleware (request.user) and MessageMiddleware (the message).

    Only session users are seen here: DRF authenticates API tokens inside the view, so token requests reach
    this middleware as anonymous and pass through untouched."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # request.path (with the script prefix) like reverse() and STATIC_URL, so that a site served under a
        # sub-path (SCRIPT_NAME) does not redirect its own password page in a loop.
        if self._must_change(request) and not self._exempt(request.path):
            # Any method, POST included: the view never runs, so nothing is changed.
            messages.warning(request, MESSAGE)
            return redirect("password_change")
        return self.get_response(request)

    @staticmethod
    def _must_change(request) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return False
        profile = user_profile(user=user)  # a bare superuser has none: never forced
        return profile is not None and profile.must_change_password

    @staticmethod
    def _exempt(path: str) -> bool:
        if settings.STATIC_URL and path.startswith(settings.STATIC_URL):
            return True
        return path in (reverse("password_change"), reverse("logout"), reverse("login"))
