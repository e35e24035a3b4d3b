"""Forced password change at first login and after an office reset (accounts.middleware), and API tokens
of deactivated accounts being refused."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.test.utils import override_script_prefix
from django.urls import reverse
from rest_framework.authtoken.models import Token
from webtools import PASSWORD, accounts_xlsx, shown_passwords

from govassess.web.accounts import services
from govassess.web.accounts.middleware import MESSAGE
from govassess.web.accounts.models import Profile
from govassess.web.audit.models import AuditEntry
from govassess.web.rounds.models import InputValue, Notification

User = get_user_model()
NEW_PASSWORD = "Fresh-Passw0rd-2024"


def _flag(username: str) -> bool:
    return Profile.objects.get(user__username=username).must_change_password


def _signed_in(username: str, password: str = PASSWORD) -> Client:
    client = Client()
    assert client.login(username=username, password=password)
    return client


def _forced(resp) -> bool:
    return resp.status_code == 302 and resp["Location"] == reverse("password_change")


def _new_filler(org, username: str = "d03_new") -> tuple:
    """An account as the office's 账号管理 creates it: (account, its one-time initial password)."""
    return services.account_add(
        user=org.office, username=username, display_name="新人", role="filler", unit=org.d3
    )


# ---- who gets the flag -------------------------------------------------------------------------------------


def test_office_created_accounts_are_flagged_and_audited(org):
    office = _signed_in("office")
    resp = office.post(
        "/accounts/manage/new/", {"username": "one", "display_name": "甲", "role": "leader", "unit": ""}
    )
    assert "one" in shown_passwords(resp.content.decode())
    resp = office.post(
        "/accounts/manage/import/",
        {"file": accounts_xlsx([["bulk_a", "乙", "填报员", "D03"], ["bulk_b", "丙", "数据提供部门", ""]])},
    )
    assert set(shown_passwords(resp.content.decode())) == {"bulk_a", "bulk_b"}
    assert _flag("one") and _flag("bulk_a") and _flag("bulk_b")
    entry = AuditEntry.objects.get(action="account_create", after__username="bulk_a")
    assert entry.after["must_change_password"] is True and entry.username == "office"


def test_command_line_accounts_are_not_flagged(org):
    from django.core.management import call_command

    # The shared test organisation is made with account_create, as `govassess web` setup code does.
    assert set(Profile.objects.values_list("must_change_password", flat=True)) == {False}
    assert _signed_in("filler1").get("/").status_code == 200
    # createsuperuser makes no profile: nothing to force, and the middleware leaves such a user alone.
    call_command("createsuperuser", interactive=False, username="root", email="root@example.org", verbosity=0)
    root = User.objects.get(username="root")
    root.set_password(PASSWORD)
    root.save()
    assert not Profile.objects.filter(user=root).exists()
    assert _signed_in("root").get("/").status_code == 200


def test_demo_accounts_are_not_flagged(db):
    from govassess.web.demo import demo_load

    for username, _label, password in demo_load():
        assert not _flag(username), username
        assert _signed_in(username, password).get("/").status_code == 200, username


def test_office_reset_sets_the_flag(org):
    resp = _signed_in("office").post(f"/accounts/manage/{org.filler1.pk}/password/")
    new = shown_passwords(resp.content.decode())["filler1"]
    assert _flag("filler1")
    entry = AuditEntry.objects.filter(action="account_password_reset").latest("id")
    assert entry.after == {"username": "filler1", "password": "（已重置）", "must_change_password": True}
    assert new not in str(entry.after)
    assert _forced(_signed_in("filler1", new).get("/"))
    # A bare superuser has no profile to flag; the reset still works.
    root = User.objects.create_superuser("root", "root@example.org", PASSWORD)
    services.account_password_reset(user=org.office, account=root)
    assert not Profile.objects.filter(user=root).exists()


# ---- what a flagged user may do ----------------------------------------------------------------------------


def test_flagged_user_is_sent_to_the_password_page_from_every_page(org):
    _account, password = _new_filler(org)
    # Through the real login form: it lands on the dashboard, which sends the user on.
    client = Client()
    resp = client.post(reverse("login"), {"username": "d03_new", "password": password}, follow=True)
    assert resp.redirect_chain[-1] == (reverse("password_change"), 302)
    assert MESSAGE in resp.content.decode()
    for url in ("/", "/notifications/", f"/rounds/{org.round.pk}/", f"/rounds/{org.round.pk}/units/D03/"):
        assert _forced(client.get(url)), url
    # Sessions reach the API through the same middleware.
    assert _forced(client.get("/api/v1/units/"))
    # Exempt: the password page itself, the login page (which moves a signed-in user on to the dashboard),
    # static files (not served under test: 404, not a redirect) and logout.
    assert client.get(reverse("password_change")).status_code == 200
    resp = client.get(reverse("login"))
    assert resp.status_code == 302 and resp["Location"] == reverse("dashboard")
    assert client.get("/static/no-such-file.css").status_code == 404
    resp = client.post(reverse("logout"))
    assert resp.status_code == 302 and resp["Location"] == reverse("login")
    resp = client.get("/")
    assert resp.status_code == 302 and resp["Location"].startswith(reverse("login"))


def test_posts_of_a_flagged_user_change_nothing(org):
    office, password = services.account_add(
        user=org.office, username="office_new", display_name="丁", role="office"
    )
    Notification.objects.create(user=office, message="请注意")
    client = _signed_in("office_new", password)
    before_users, before_inputs, before_audit = (
        User.objects.count(),
        InputValue.objects.count(),
        AuditEntry.objects.count(),
    )
    posts = [
        ("/accounts/manage/new/", {"username": "sneaky", "display_name": "戊", "role": "leader", "unit": ""}),
        (f"/accounts/manage/{org.leader.pk}/deactivate/", {}),
        (f"/accounts/manage/{org.leader.pk}/password/", {}),
        ("/notifications/read/", {}),
    ]
    for url, data in posts:
        assert _forced(client.post(url, data)), url
    resp = client.post(
        f"/api/v1/rounds/{org.round.pk}/inputs/",
        {"rows": [{"unit": "D01", "indicator": "1", "input": "网上办理率", "value": "66%"}]},
        content_type="application/json",
    )
    assert _forced(resp)
    assert (User.objects.count(), InputValue.objects.count()) == (before_users, before_inputs)
    assert AuditEntry.objects.count() == before_audit
    org.leader.refresh_from_db()
    assert org.leader.is_active and org.leader.check_password(PASSWORD)
    assert Notification.objects.filter(user=office, read=False).count() == 1


def test_changing_the_password_clears_the_flag(org):
    account, password = _new_filler(org)
    client = _signed_in("d03_new", password)
    url = reverse("password_change")
    # A refused change (wrong old password) keeps the flag.
    resp = client.post(
        url, {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert resp.status_code == 200 and _flag("d03_new")
    assert _forced(client.get("/"))
    resp = client.post(
        url, {"old_password": password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert resp.status_code == 302 and resp["Location"] == "/"
    assert not _flag("d03_new")
    # The same session goes on (Django keeps it after a change) and may open pages again.
    assert client.get("/").status_code == 200
    assert client.get(f"/rounds/{org.round.pk}/units/D03/").status_code == 200
    assert _signed_in("d03_new", NEW_PASSWORD).get("/").status_code == 200
    entry = AuditEntry.objects.filter(action="account_password", object_id=str(account.pk)).latest("id")
    assert entry.username == "d03_new"
    assert entry.before == {"must_change_password": True}
    assert entry.after == {"password": "（已修改）", "must_change_password": False}
    assert password not in str(entry.after) and NEW_PASSWORD not in str(entry.after)


@pytest.mark.parametrize("reset", [False, True], ids=["created", "reset"])
def test_manage_list_shows_the_flag(org, reset):
    if reset:
        services.account_password_reset(user=org.office, account=org.filler2)
        flagged = "filler2"
    else:
        _new_filler(org)
        flagged = "d03_new"
    html = _signed_in("office").get("/accounts/manage/").content.decode()
    heads = re.findall(r"<th>([^<]*)</th>", html)
    col = heads.index("待改初始密码") - 1  # cells after the 账号 cell
    shown = {}
    for username, row in re.findall(r"<tr>\s*<td>([^<]+)</td>(.*?)</tr>", html, re.S):
        shown[username] = re.findall(r"<td>(.*?)</td>", row, re.S)[col]
    assert shown[flagged] == "是"
    assert {name for name, cell in shown.items() if cell} == {flagged}
    assert shown["office"] == "" and shown["filler1"] == ""


# ---- API tokens --------------------------------------------------------------------------------------------


def _api(token: str, url: str = "/api/v1/units/"):
    return Client().get(url, HTTP_AUTHORIZATION=f"Token {token}")


def test_token_of_a_deactivated_account_is_refused(org):
    token = Token.objects.create(user=org.provider).key
    url = f"/api/v1/rounds/{org.round.pk}/fields/"
    assert _api(token).status_code == 200 and _api(token, url).status_code == 200
    services.account_deactivate(user=org.office, account=org.provider)
    assert _api(token).status_code in (401, 403)
    assert _api(token, url).status_code in (401, 403)
    before = InputValue.objects.count()
    resp = Client().post(
        f"/api/v1/rounds/{org.round.pk}/inputs/",
        {"rows": [{"unit": "D01", "indicator": "3", "input": "目录总数", "value": "10"}]},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )
    assert resp.status_code in (401, 403) and InputValue.objects.count() == before
    # The token was revoked with the deactivation (audited): reactivating the account does not bring it back.
    entry = AuditEntry.objects.filter(action="account_deactivate", object_id=str(org.provider.pk)).latest(
        "pk"
    )
    assert entry.after["tokens_revoked"] == 1
    services.account_reactivate(user=org.office, account=org.provider)
    assert _api(token).status_code in (401, 403)
    assert _api(Token.objects.create(user=org.provider).key).status_code == 200  # a new token works


def test_token_requests_of_a_flagged_account_are_not_redirected(org):
    account, _password = services.account_add(
        user=org.office, username="prov_new", display_name="己", role="provider"
    )
    assert _flag("prov_new")
    resp = _api(Token.objects.create(user=account).key)
    assert resp.status_code == 200 and resp["Content-Type"].startswith("application/json")


def test_password_set_in_django_admin_is_audited_and_flagged(org):
    """Django admin's password form bypasses save_model: it is audited here, and flags the account like a
    reset in 账号管理 (the office knows the password); the office's own password is not flagged."""
    office = Client()
    office.force_login(org.office)
    account = org.filler1
    url = reverse("admin:auth_user_password_change", args=[account.pk])
    resp = office.post(
        url, {"password1": "Ad.min-set 2026", "password2": "Ad.min-set 2026", "usable_password": "true"}
    )
    assert resp.status_code == 302
    assert _flag(account.username)
    entry = AuditEntry.objects.filter(action="account_password_reset", object_id=str(account.pk)).latest("pk")
    assert entry.after == {
        "username": account.username,
        "password": "（已重置）",
        "must_change_password": True,
    }
    assert "Ad.min-set" not in str(entry.after)

    own = reverse("admin:auth_user_password_change", args=[org.office.pk])
    assert office.post(own, {"password1": "Own.pass 2026x", "password2": "Own.pass 2026x"}).status_code == 302
    profile = Profile.objects.filter(user=org.office).first()
    assert profile is None or not profile.must_change_password
    assert AuditEntry.objects.filter(action="account_password_reset", object_id=str(org.office.pk)).exists()

    # An invalid form changes nothing and records nothing.
    before = AuditEntry.objects.count()
    assert office.post(url, {"password1": "a", "password2": "b"}).status_code == 200
    assert AuditEntry.objects.count() == before


def test_password_page_is_reachable_under_a_script_prefix(org):
    """Served under a sub-path (SCRIPT_NAME), the exempt pages must still match, or the redirect would loop."""
    account, password = services.account_add(
        user=org.office, username="d_prefix", display_name="甲", role="filler", unit=org.d3
    )
    client = _signed_in("d_prefix", password)
    # As the WSGI handler does for SCRIPT_NAME (the test client does not set the prefix itself).
    with override_script_prefix("/govassess/"):
        resp = client.get("/accounts/password/", SCRIPT_NAME="/govassess")
        assert resp.status_code == 200
        resp = client.get("/", SCRIPT_NAME="/govassess")
        assert resp.status_code == 302 and resp["Location"] == "/govassess/accounts/password/"
