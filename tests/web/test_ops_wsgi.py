"""The reverse-proxy WSGI entry: X-Real-IP is believed from the trusted proxy only."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from govassess.web.ops.wsgi import RealClientAddress, trusted_proxies

pytestmark = pytest.mark.django_db(transaction=False)


def _seen(environ: dict) -> str:
    got = {}

    def app(env, start_response):
        got["addr"] = env["REMOTE_ADDR"]
        return []

    RealClientAddress(app, trusted_proxies("127.0.0.1, ::1"))(environ, lambda *a: None)
    return got["addr"]


def test_the_proxy_passes_the_client_address():
    assert _seen({"REMOTE_ADDR": "127.0.0.1", "HTTP_X_REAL_IP": "203.0.113.7"}) == "203.0.113.7"
    assert _seen({"REMOTE_ADDR": "::1", "HTTP_X_REAL_IP": "2001:db8::5"}) == "2001:db8::5"


def test_nobody_else_chooses_their_address():
    assert _seen({"REMOTE_ADDR": "198.51.100.9", "HTTP_X_REAL_IP": "10.0.0.1"}) == "198.51.100.9"
    assert _seen({"REMOTE_ADDR": "127.0.0.1", "HTTP_X_REAL_IP": "not an address"}) == "127.0.0.1"
    assert _seen({"REMOTE_ADDR": "127.0.0.1"}) == "127.0.0.1"


def test_a_wrong_proxy_setting_is_named():
    with pytest.raises(ImproperlyConfigured, match="「10.0.0.300」不是有效的地址"):
        trusted_proxies("127.0.0.1,10.0.0.300")
