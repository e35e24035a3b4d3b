"""The optional TOTP second factor of office and reviewer accounts (django-otp): enrolment, login with a
code, the admin login not skipping it, failures throttled, everything audited."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from webtools import PASSWORD

from govassess.web.audit.models import AuditEntry


@pytest.fixture(autouse=True)
def _no_otp_delay(settings):
    # django-otp's own back-off (1 s after a wrong code, doubling) would refuse the tests' immediate retries;
    # the login throttle, tested here too, still applies.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def _code(device: TOTPDevice, offset: int = 0) -> str:
    # The authenticator app's computation (RFC 6238, 30 s steps, 6 digits), independent of the page.
    totp = TOTP(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    totp.time = time.time() + offset
    return f"{totp.token():06d}"


def _enrol(org, user) -> TOTPDevice:
    client = Client()
    client.force_login(user)
    page = client.get(reverse("otp_setup")).content.decode()
    assert "data:image/svg+xml" in page and "密钥" in page
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    client.post(reverse("otp_setup"), {"otp_token": "000000" if _code(device) != "000000" else "111111"})
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()  # a wrong code enrols nothing
    client.post(reverse("otp_setup"), {"otp_token": _code(device)}, follow=True)
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEntry.objects.filter(action="otp_enrol", username=user.username).count() == 1
    return device


def _login(client, name, password=PASSWORD, **extra):
    return client.post(reverse("login"), {"username": name, "password": password, **extra})


def _verified_client(user, device) -> Client:
    """A session that passed the code (django-otp's verified marker set, as the login page sets it)."""
    from django_otp import DEVICE_ID_SESSION_KEY

    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def test_enrolled_reviewer_needs_the_code(org):
    device = _enrol(org, org.reviewer)
    client = Client()
    # The right password alone leads to the code step (the code is asked only there), not into the platform.
    text = _login(client, "reviewer").content.decode()
    assert "该账号已启用动态口令" in text and "_auth_user_id" not in client.session
    assert "动态口令不正确" in _login(client, "reviewer", otp_token="12345x").content.decode()
    assert "_auth_user_id" not in client.session
    # The wrong code counts as a failed login (the code cannot be guessed outside the throttle); reaching the
    # code step with the right password is not a failure.
    assert AuditEntry.objects.filter(action="login_failed", username="reviewer").count() == 1
    # The next 30 s step's code (the enrolment used the current one; django-otp allows one step of drift).
    _login(client, "reviewer", otp_token=_code(device, offset=30))
    assert "_auth_user_id" in client.session


def test_a_code_is_accepted_once(org):
    device = _enrol(org, org.reviewer)
    device.refresh_from_db()
    # The enrolment used the current code: the same code does not log in (replay).
    client = Client()
    _login(client, "reviewer", otp_token=_code(device))
    assert "_auth_user_id" not in client.session


def test_accounts_without_a_device_log_in_with_the_password_only(org):
    _enrol(org, org.reviewer)
    client = Client()
    _login(client, "filler1")
    assert "_auth_user_id" in client.session


def test_admin_login_does_not_skip_the_second_factor(org):
    _enrol(org, org.office)
    client = Client()
    resp = client.post(reverse("admin:login"), {"username": "office", "password": PASSWORD})
    assert "请从平台登录页" in resp.content.decode() and "_auth_user_id" not in client.session


def test_only_office_and_reviewers_may_enrol(org):
    client = Client()
    client.force_login(org.filler1)
    resp = client.get(reverse("otp_setup"))
    assert resp.status_code == 403 and "只有评估办和评审专家账号可以启用动态口令" in resp.content.decode()
    assert not TOTPDevice.objects.exists()


def test_disabling_needs_a_valid_code_and_is_audited(org):
    device = _enrol(org, org.office)
    client = _verified_client(org.office, device)
    client.post(reverse("otp_setup"), {"otp_token": "000000"})
    assert TOTPDevice.objects.filter(user=org.office, confirmed=True).exists()
    client.post(reverse("otp_setup"), {"otp_token": _code(device, offset=30)})
    assert not TOTPDevice.objects.filter(user=org.office).exists()
    assert AuditEntry.objects.filter(action="otp_disable", username="office").count() == 1


def test_office_removes_a_lost_device_in_the_admin_audited_and_secret_never_shown(org):
    device = _enrol(org, org.reviewer)
    office = Client()
    office.force_login(org.office)
    index = office.get(reverse("admin:index")).content.decode()
    assert "动态口令设备" in index and "TOTP devices" not in index
    page = office.get(reverse("admin:accounts_otpdevice_change", args=[device.pk])).content.decode()
    assert device.key not in page  # the secret stays in the database
    resp = office.post(reverse("admin:accounts_otpdevice_delete", args=[device.pk]), {"post": "yes"})
    assert resp.status_code == 302
    assert not TOTPDevice.objects.filter(user=org.reviewer).exists()
    entry = AuditEntry.objects.get(action="otp_disable", username="office")
    assert entry.before == {"username": "reviewer", "otp": True}
    # The reviewer logs in with the password alone again.
    client = Client()
    _login(client, "reviewer")
    assert "_auth_user_id" in client.session
