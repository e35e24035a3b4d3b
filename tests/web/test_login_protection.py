"""Login protection (issue 17, defects 4 and 9): one throttle on every login path, exponential back-off by
account and by address, an allow-list of shared exit addresses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse
from webtools import PASSWORD

from govassess.web.audit.models import AuditEntry


def _post(client, name, password, url="login"):
    return client.post(reverse(url), {"username": name, "password": password})


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def _age_failures(seconds: int) -> None:
    """Moves every recorded login (failed or not) `seconds` into the past: time passing without sleeping."""
    for e in AuditEntry.objects.filter(action__in=["login_failed", "login"]):
        AuditEntry.objects.filter(pk=e.pk).update(at=e.at - timedelta(seconds=seconds))


@pytest.fixture
def throttle(settings):
    settings.LOGIN_MAX_FAILURES = 3
    settings.LOGIN_BACKOFF_SECONDS = 30
    settings.LOGIN_LOCK_MINUTES = 15
    settings.LOGIN_MAX_FAILURES_PER_IP = 3
    settings.LOGIN_SHARED_ADDRESSES = []
    return settings


def test_admin_login_is_throttled_like_the_login_page(org, throttle):
    # Defect 4: the office account guessed at /admin/login/ without limit. Three failures there, then the
    # right password is refused there and on the login page alike.
    client = Client()
    for _ in range(3):
        resp = _post(client, "office", "wrong", url="admin:login")
        assert resp.status_code == 200 and not _logged_in(client)
    resp = _post(client, "office", PASSWORD, url="admin:login")
    assert "登录失败次数过多" in resp.content.decode()
    assert not _logged_in(client)
    resp = _post(Client(REMOTE_ADDR="10.9.9.9"), "office", PASSWORD)
    assert "登录失败次数过多" in resp.content.decode()
    # The refused attempts are recorded, not counted as failures.
    assert AuditEntry.objects.filter(action="login_failed", username="office").count() == 3
    assert AuditEntry.objects.filter(action="login_throttled", username="office").count() == 2


def test_failures_on_the_login_page_count_at_the_admin_login(org, throttle):
    client = Client()
    for _ in range(3):
        _post(client, "office", "wrong")
    resp = _post(client, "office", PASSWORD, url="admin:login")
    assert "登录失败次数过多" in resp.content.decode() and not _logged_in(client)


def test_backoff_doubles_and_ends(org, throttle):
    client = Client()
    for _ in range(2):
        assert "用户名或密码不正确" in _post(client, "filler1", "wrong").content.decode()
    # The 3rd failure (= LOGIN_MAX_FAILURES) starts a wait of 30 s · 2^0 = 30 s, announced at once.
    text = _post(client, "filler1", "wrong").content.decode()
    assert "用户名或密码不正确" in text and "30 秒后再试" in text
    # During the wait even the right password is refused.
    assert "登录失败次数过多" in _post(client, "filler1", PASSWORD).content.decode()
    assert not _logged_in(client)
    # 31 s later a 4th wrong password: wait 30 · 2^(4−3) = 60 s → 「1 分钟」.
    _age_failures(31)
    assert "1 分钟后再试" in _post(client, "filler1", "wrong").content.decode()
    _age_failures(59)  # 59 s of the 60 passed: still refused
    assert "登录失败次数过多" in _post(client, "filler1", PASSWORD).content.decode()
    _age_failures(2)
    _post(client, "filler1", PASSWORD)
    assert _logged_in(client)


def test_backoff_is_capped(org, throttle):
    throttle.LOGIN_MAX_FAILURES = 100  # record many failures without waiting
    client = Client()
    for _ in range(12):
        _post(client, "filler1", "wrong")
    throttle.LOGIN_MAX_FAILURES = 3
    # 12 failures: 30 · 2^9 s would be over four hours; the wait is capped at LOGIN_LOCK_MINUTES = 15 min.
    assert "15 分钟后再试" in _post(client, "filler1", PASSWORD).content.decode()
    _age_failures(15 * 60 + 1)
    _post(client, "filler1", PASSWORD)
    assert _logged_in(client)


def test_a_successful_login_resets_the_account_count(org, throttle):
    client = Client()
    for _ in range(2):
        _post(client, "filler1", "wrong")
    _post(client, "filler1", PASSWORD)
    assert _logged_in(client)
    client.logout()
    _age_failures(1)  # the login is later than the two failures
    # Two more failures after the login: 2 < 3, no wait.
    for _ in range(2):
        assert "再试" not in _post(client, "filler1", "wrong").content.decode()
    _post(client, "filler1", PASSWORD)
    assert _logged_in(client)


def test_one_accounts_failures_do_not_lock_out_its_address(org, throttle):
    # Defect 9: 20 failures from one address locked every user behind it. Ten failures of one account from
    # 127.0.0.1 count as one account for the address limit (3 accounts): a colleague still logs in.
    throttle.LOGIN_MAX_FAILURES = 100
    attacker = Client()
    for _ in range(10):
        _post(attacker, "filler1", "wrong")
    colleague = Client()
    _post(colleague, "filler2", PASSWORD)
    assert _logged_in(colleague)


def test_spraying_from_one_address_backs_off_that_address_only(org, throttle):
    client = Client()
    for name in ("filler1", "filler2", "provider"):
        _post(client, name, "wrong")
    # Three different accounts failed from 127.0.0.1: the address waits 30 s, whoever logs in from it.
    assert "登录失败次数过多" in _post(client, "reviewer", PASSWORD).content.decode()
    assert not _logged_in(client)
    other = Client(REMOTE_ADDR="10.0.0.8")
    _post(other, "reviewer", PASSWORD)
    assert _logged_in(other)
    _age_failures(31)
    _post(client, "leader", PASSWORD)
    assert _logged_in(client)


def test_shared_exit_address_skips_the_address_limit_not_the_account_limit(org, throttle):
    throttle.LOGIN_SHARED_ADDRESSES = [__import__("ipaddress").ip_network("127.0.0.0/30")]
    client = Client()
    for name in ("filler1", "filler2", "provider", "leader"):
        _post(client, name, "wrong")
    _post(client, "reviewer", PASSWORD)
    assert _logged_in(client)
    # The account limit still applies behind the shared address.
    unit = Client()
    for _ in range(3):
        _post(unit, "filler1", "wrong")
    assert "登录失败次数过多" in _post(unit, "filler1", PASSWORD).content.decode()
    assert not _logged_in(unit)


def test_throttle_applies_to_authenticate_itself(org, throttle):
    # Any future login path calls authenticate(): the backend refuses, whatever form is in front of it.
    from django.contrib.auth import authenticate

    for _ in range(3):
        assert authenticate(username="filler1", password="wrong") is None
    assert authenticate(username="filler1", password=PASSWORD) is None
    throttle.LOGIN_MAX_FAILURES = 10
    assert authenticate(username="filler1", password=PASSWORD) is not None


def test_shared_addresses_setting_is_checked():
    from govassess.web.settings import _networks

    assert [str(n) for n in _networks("10.1.0.0/16, 203.0.113.7")] == ["10.1.0.0/16", "203.0.113.7/32"]
    with pytest.raises(ImproperlyConfigured, match="「10.1.0.0/33」不是有效的地址或网段"):
        _networks("10.1.0.0/33")
