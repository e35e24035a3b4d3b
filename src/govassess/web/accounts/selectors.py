"""Read-side helpers for accounts."""

from __future__ import annotations

from govassess.web.accounts.models import Profile, Role


def user_profile(*, user) -> Profile | None:
    if not user or not user.is_authenticated:
        return None
    try:
        return user.profile
    except Profile.DoesNotExist:
        return None


def user_role(*, user) -> str | None:
    """The role of a user; a superuser without a profile acts as the office."""
    profile = user_profile(user=user)
    if profile is not None:
        return profile.role
    if user is not None and user.is_authenticated and user.is_superuser:
        return Role.OFFICE
    return None


def user_unit_id(*, user) -> int | None:
    profile = user_profile(user=user)
    return profile.unit_id if profile and profile.role == Role.FILLER else None


def account_list(*, role: str | None = None, unit_code: str | None = None):
    """Every account for the office's 账号管理 page, optionally one role or one unit."""
    from django.contrib.auth import get_user_model
    from django.db.models import Exists, OuterRef
    from django_otp.plugins.otp_totp.models import TOTPDevice

    confirmed = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    qs = (
        get_user_model()
        .objects.select_related("profile", "profile__unit")
        .annotate(otp_enabled=Exists(confirmed))
        .order_by("username")
    )
    if role:
        qs = qs.filter(profile__role=role)
    if unit_code:
        qs = qs.filter(profile__unit__code=unit_code)
    return qs


def account_get(*, pk: int):
    from django.contrib.auth import get_user_model
    from django.shortcuts import get_object_or_404

    return get_object_or_404(get_user_model(), pk=pk)
