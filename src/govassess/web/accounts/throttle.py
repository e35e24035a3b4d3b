"""The login throttle: exponential back-off by account and, separately, by client address.

Every login path calls django.contrib.auth.authenticate(); the project's only authentication backend
(accounts.backends.ThrottledModelBackend) asks this module first, so no form (the login page, the admin's
login, a later API login) can skip it. Failures are read from the audit log (action ``login_failed``).

- Account: after ``LOGIN_MAX_FAILURES`` failures since its last successful login (within
  ``LOGIN_ACCOUNT_WINDOW_HOURS``), each further attempt waits ``LOGIN_BACKOFF_SECONDS · 2^(n − max)``
  seconds after the latest failure, at most ``LOGIN_LOCK_MINUTES``. A correct password during the wait is
  refused too (the password is not even checked), so guessing cannot outrun the wait.
- Address: the number of *different accounts* that failed from one address within
  ``LOGIN_ADDRESS_WINDOW_MINUTES`` (password spraying). One account's repeated failures count once, so a
  colleague mistyping, or an attacker hammering one account, never locks the others behind a shared exit
  address; the same back-off applies beyond ``LOGIN_MAX_FAILURES_PER_IP`` accounts.
- Addresses in ``LOGIN_SHARED_ADDRESSES`` (CIDR list: a unit's NAT or the e-government network's proxy)
  skip the address limit; the account limit still applies to them.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from govassess.web.audit import selectors


@dataclass(frozen=True)
class Wait:
    seconds: int
    by: str  # "account" or "address"


def backoff_seconds(failures: int, free: int) -> int:
    """Seconds to wait after the latest failure, given `failures` counted and `free` allowed without wait."""
    if failures < free:
        return 0
    cap = settings.LOGIN_LOCK_MINUTES * 60
    exponent = failures - free
    if exponent > 30:  # 2**30 · base is far beyond any cap; keeps the arithmetic small
        return cap
    return min(settings.LOGIN_BACKOFF_SECONDS * 2**exponent, cap)


def _remaining(latest: datetime | None, delay: int, now: datetime) -> int:
    if latest is None or delay <= 0:
        return 0
    left = (latest + timedelta(seconds=delay) - now).total_seconds()
    return max(0, math.ceil(left))


def shared_address(ip: str | None) -> bool:
    if not ip:
        return False
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(addr in net for net in settings.LOGIN_SHARED_ADDRESSES)


def login_wait(*, username: str | None, ip: str | None, now: datetime | None = None) -> Wait | None:
    """How long this login attempt must still wait, or None if it may be tried now."""
    now = now or timezone.now()
    waits = []
    username = (username or "").strip()[:150]
    if username:
        since = now - timedelta(hours=settings.LOGIN_ACCOUNT_WINDOW_HOURS)
        last_ok = selectors.last_login_at(username=username)
        if last_ok is not None and last_ok > since:
            since = last_ok
        count, latest = selectors.login_failures(username=username, since=since)
        left = _remaining(latest, backoff_seconds(count, settings.LOGIN_MAX_FAILURES), now)
        if left:
            waits.append(Wait(left, "account"))
    if ip and not shared_address(ip):
        since = now - timedelta(minutes=settings.LOGIN_ADDRESS_WINDOW_MINUTES)
        count, latest = selectors.login_failed_accounts_from_ip(ip=ip, since=since)
        left = _remaining(latest, backoff_seconds(count, settings.LOGIN_MAX_FAILURES_PER_IP), now)
        if left:
            waits.append(Wait(left, "address"))
    return max(waits, key=lambda w: w.seconds) if waits else None


def wait_text(seconds: int) -> str:
    """「45 秒」, 「3 分钟」: what the user reads."""
    if seconds < 60:
        return f"{seconds} 秒"
    return f"{math.ceil(seconds / 60)} 分钟"
