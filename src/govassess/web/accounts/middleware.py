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


class OtpVerifiedMiddleware:
    """django-otp's verified marker, enforced: a session of an account with a confirmed 动态口令 device that
    was not verified with a code (django_otp.login, set by the login page and on enrolment) is logged out.
    No login path can skip the code — not the admin's, not one added later, not a session opened before the
    device was confirmed elsewhere. Needs django_otp's OTPMiddleware before it (request.user.is_verified)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not self._verified(user) and self._enrolled(user):
            from django.contrib.auth import logout

            logout(request)
            messages.warning(request, "该账号已启用动态口令，请重新登录并输入动态口令。")
            return redirect("login")
        return self.get_response(request)

    @staticmethod
    def _verified(user) -> bool:
        is_verified = getattr(user, "is_verified", None)
        return bool(is_verified and is_verified())

    @staticmethod
    def _enrolled(user) -> bool:
        from govassess.web.accounts.otp import ROLES, otp_enrolled
        from govassess.web.accounts.selectors import user_role

        # Only office and reviewer accounts can enrol: the others cost no query here.
        return user_role(user=user) in ROLES and otp_enrolled(user)
