"""The optional TOTP second factor (动态口令) of office and reviewer accounts, on django-otp's TOTPDevice.

Enrolment: the account gets an unconfirmed device, scans its QR code (or types the secret) into an
authenticator app and confirms with one code; from then on the login page asks for a code. Every enrolment
and removal is audited. django-otp verifies with clock drift, refuses a code used before (replay) and
throttles its own failures; failed codes at login also count in the login throttle.
"""

from __future__ import annotations

from base64 import b32encode

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from govassess.errors import UserError
from govassess.web.accounts.models import Role
from govassess.web.accounts.selectors import user_role
from govassess.web.audit.services import audit_record

ROLES = (Role.OFFICE, Role.REVIEWER)


def otp_allowed(user) -> bool:
    return user_role(user=user) in ROLES


def otp_enrolled(user) -> bool:
    return user is not None and TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def otp_pending(user) -> TOTPDevice:
    """The device being enrolled (unconfirmed), made on first visit of the enrolment page."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="动态口令", confirmed=False)
    return device


def otp_secret(device: TOTPDevice) -> str:
    """The key in base32, grouped by four, as an authenticator app asks for it when typed by hand."""
    text = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def otp_qr_svg(device: TOTPDevice) -> str:
    import segno

    return segno.make(device.config_url, error="m").svg_data_uri(scale=5)


def otp_match(user, token: str) -> TOTPDevice | None:
    """The confirmed device of `user` that accepts `token` (django-otp: drift, replay, its own throttle)."""
    token = (token or "").strip().replace(" ", "")
    if not token:
        return None
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        if device.verify_token(token):
            return device
    return None


def otp_verify(user, token: str) -> bool:
    return otp_match(user, token) is not None


def otp_mark_verified(request, device: TOTPDevice) -> None:
    """django-otp's verified marker on the session (django_otp.login): OTPMiddleware then makes
    request.user.is_verified() true, and accounts.middleware.OtpVerifiedMiddleware refuses any session of an
    enrolled account without it (a login path that skipped the code, a device added by another session)."""
    import django_otp

    django_otp.login(request, device)


def otp_reset(*, actor, account) -> int:
    """The office removes another account's second factor (a lost phone): the account logs in with its
    password alone until it enrols again. Audited; the secret is never shown. Returns the devices removed."""
    from django.core.exceptions import PermissionDenied

    from govassess.web.rounds import policy

    if not policy.can_manage(actor):
        raise PermissionDenied("只有评估办可以重置他人的动态口令。")
    if account.pk == actor.pk:
        raise UserError("不能在这里重置本人的动态口令：请在「动态口令」页用当前动态口令停用。")
    with transaction.atomic():
        devices = TOTPDevice.objects.filter(user=account)
        had = devices.filter(confirmed=True).exists()
        if not had:
            raise UserError(f"账号 {account.get_username()} 没有启用动态口令，无需重置。")
        n, _ = devices.delete()
        audit_record(
            user=actor,
            action="otp_reset",
            object_type="account",
            object_id=account.pk,
            before={"username": account.get_username(), "otp": True},
            after={"username": account.get_username(), "otp": False},
        )
    return n


def otp_confirm(*, user, token: str) -> TOTPDevice:
    if not otp_allowed(user):
        raise UserError("只有评估办和评审专家账号可以启用动态口令。")
    device = otp_pending(user)
    if not device.verify_token((token or "").strip().replace(" ", "")):
        raise UserError(
            "动态口令不正确：请输入验证器上当前显示的 6 位数字（手机时间须准确）。", field="动态口令"
        )
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit_record(
            user=user, action="otp_enrol", object_type="account", object_id=user.pk, after={"otp": True}
        )
    return device


def otp_disable(*, user, token: str) -> None:
    if not otp_verify(user, token):
        raise UserError("动态口令不正确，未停用。", field="动态口令")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        audit_record(
            user=user,
            action="otp_disable",
            object_type="account",
            object_id=user.pk,
            before={"otp": True},
            after={"otp": False},
        )
