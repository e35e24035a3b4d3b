"""Issue 17 (动态口令): the code is asked on a second login step, only of an account with a confirmed device and
only after its password is right; django-otp's verified marker is set by that step and enforced on every
request; the office resets another account's second factor on 账号管理 (audited)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from test_otp import _code, _enrol, _verified_client
from webtools import PASSWORD

from govassess.web.audit.models import AuditEntry


@pytest.fixture(autouse=True)
def _no_otp_delay(settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def _password(client, username, password=PASSWORD, **extra):
    return client.post(reverse("login"), {"username": username, "password": password, **extra})


def _step(client, token):
    return client.post(reverse("login"), {"step": "otp", "otp_token": token})


def test_the_login_page_has_no_code_field():
    page = Client().get(reverse("login")).content.decode()
    assert 'name="otp_token"' not in page and "动态口令" not in page


def test_code_step_only_after_the_right_password_and_marks_the_session_verified(org):
    device = _enrol(org, org.reviewer)
    client = Client()
    # A wrong password says nothing about a device.
    page = _password(client, "reviewer", "wrong-password").content.decode()
    assert "用户名或密码不正确" in page and 'name="otp_token"' not in page
    # The right one: the code step, not yet logged in.
    page = _password(client, "reviewer").content.decode()
    assert 'name="otp_token"' in page and 'name="password"' not in page and "该账号已启用动态口令" in page
    assert "_auth_user_id" not in client.session
    page = _step(client, "000000" if _code(device, 30) != "000000" else "111111").content.decode()
    assert "动态口令不正确" in page and "_auth_user_id" not in client.session
    failures = AuditEntry.objects.filter(action="login_failed", username="reviewer").count()
    assert failures == 2  # the wrong password and the wrong code
    resp = _step(client, _code(device, 30))
    assert resp.status_code == 302 and resp["Location"] == reverse("dashboard")
    assert client.session["_auth_user_id"] == str(org.reviewer.pk)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id  # django-otp's verified marker
    assert client.get(reverse("dashboard")).status_code == 200


def test_accounts_without_a_device_never_see_the_code_step(org):
    _enrol(org, org.reviewer)
    client = Client()
    resp = _password(client, "filler1")
    assert resp.status_code == 302 and client.session["_auth_user_id"] == str(org.filler1.pk)


def test_code_step_without_a_pending_login_goes_back_to_the_password(org):
    client = Client()
    resp = _step(client, "123456")
    assert resp.status_code == 302 and resp["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session


def test_an_unverified_session_of_an_enrolled_account_is_logged_out(org):
    """A session opened without the code (any path that skips it) is refused on its next request."""
    device = _enrol(org, org.office)
    client = Client()
    client.force_login(org.office)
    resp = client.get(reverse("dashboard"))
    assert resp.status_code == 302 and resp["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session
    # A verified session carries on.
    assert _verified_client(org.office, device).get(reverse("dashboard")).status_code == 200


def test_office_resets_another_accounts_second_factor_audited(org):
    device = _enrol(org, org.reviewer)
    office = Client()
    office.force_login(org.office)
    page = office.get(reverse("account_manage")).content.decode()
    url = reverse("account_otp_reset", args=[org.reviewer.pk])
    assert page.count("重置动态口令") == 1 and url in page and "已启用" in page
    # Nobody else may.
    for other in (org.reviewer, org.filler1, org.leader):
        client = _verified_client(other, device) if other == org.reviewer else Client()
        if other != org.reviewer:
            client.force_login(other)
        assert client.post(url).status_code == 403
    assert TOTPDevice.objects.filter(user=org.reviewer, confirmed=True).exists()
    resp = office.post(url, follow=True)
    assert "已重置账号 reviewer 的动态口令" in resp.content.decode()
    assert not TOTPDevice.objects.filter(user=org.reviewer).exists()
    entry = AuditEntry.objects.get(action="otp_reset")
    assert entry.username == "office" and entry.object_id == str(org.reviewer.pk)
    assert entry.before == {"username": "reviewer", "otp": True}
    assert entry.after == {"username": "reviewer", "otp": False}
    assert device.key not in resp.content.decode()
    # The reviewer logs in with the password alone; a second reset has nothing to do.
    client = Client()
    _password(client, "reviewer")
    assert client.session["_auth_user_id"] == str(org.reviewer.pk)
    resp = office.post(url, follow=True)
    assert "没有启用动态口令" in resp.content.decode()
    assert AuditEntry.objects.filter(action="otp_reset").count() == 1


def test_office_cannot_reset_its_own_second_factor_there(org):
    device = _enrol(org, org.office)
    office = _verified_client(org.office, device)
    resp = office.post(reverse("account_otp_reset", args=[org.office.pk]), follow=True)
    assert "不能在这里重置本人的动态口令" in resp.content.decode()
    assert TOTPDevice.objects.filter(user=org.office, confirmed=True).exists()
