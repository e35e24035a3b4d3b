"""WSGI entry point behind a reverse proxy: ``govassess.web.ops.wsgi:application`` (deploy/govassess-web.service).

Behind Nginx every request reaches gunicorn from the proxy's address, so the audit log and the login throttle
(by address) would see one address for everybody. Nginx passes the client's address in ``X-Real-IP`` (set by
the proxy itself, overwriting whatever the client sent); this wrapper puts it into ``REMOTE_ADDR``, but only
for requests that come from an address listed in ``GOVASSESS_TRUSTED_PROXIES`` (comma separated, default
``127.0.0.1,::1``: Nginx on the same machine). Anyone else's ``X-Real-IP`` is ignored, so a client cannot
choose the address it is logged and throttled under.
"""

from __future__ import annotations

import ipaddress
import os

from django.core.exceptions import ImproperlyConfigured

from govassess.web.wsgi import application as django_application


def trusted_proxies(text: str) -> frozenset[str]:
    found = set()
    for part in text.replace(",", " ").split():
        try:
            found.add(str(ipaddress.ip_address(part)))
        except ValueError:
            raise ImproperlyConfigured(
                f"环境变量 GOVASSESS_TRUSTED_PROXIES 中的「{part}」不是有效的地址（应如 127.0.0.1）"
            ) from None
    return frozenset(found)


class RealClientAddress:
    def __init__(self, app, proxies: frozenset[str]):
        self.app, self.proxies = app, proxies

    def __call__(self, environ, start_response):
        peer = environ.get("REMOTE_ADDR", "")
        real = environ.get("HTTP_X_REAL_IP", "").strip()
        if peer in self.proxies and real:
            try:
                environ["REMOTE_ADDR"] = str(ipaddress.ip_address(real))
            except ValueError:
                pass  # a broken header from the proxy: keep the proxy's address
        return self.app(environ, start_response)


application = RealClientAddress(
    django_application, trusted_proxies(os.environ.get("GOVASSESS_TRUSTED_PROXIES", "127.0.0.1,::1"))
)
