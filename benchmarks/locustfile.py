"""Locust scenario: fillers saving inputs and uploading small evidence files during a deadline rush.

Run by benchmarks/load_fillers.py, which prepares the database and reads LOAD_USERS_FILE: a JSON list of
{"username", "session", "unit", "round", "keys": ["indicator::input", ...]} (one entry per simulated filler,
already signed in). Each simulated filler opens its fill form once, then loops: save one value (optimistic-lock version tracked), sometimes
upload an evidence file. Every value it believes saved is written to LOAD_RESULTS_DIR for the lost-write check.
"""

from __future__ import annotations

import itertools
import json
import os
import re
from pathlib import Path

from locust import HttpUser, between, task

USERS = json.loads(Path(os.environ["LOAD_USERS_FILE"]).read_text(encoding="utf-8"))
RESULTS = Path(os.environ["LOAD_RESULTS_DIR"])
_next = itertools.count()
PDF = b"%PDF-1.4\n" + b"% evidence padding\n" * 100  # ~2 KB


def _why(resp) -> str:
    """Failure text that keeps an HTTP answer apart from a request that never got one (status 0)."""
    if resp.status_code == 0:
        # e.g. RemoteDisconnected (server closed a kept-alive connection) vs. ConnectionRefused (backlog full)
        return f"no answer: {str(resp.error)[:160]}"
    return f"HTTP {resp.status_code}"


class Filler(HttpUser):
    # Think time of a person filling a form under deadline pressure: a save or an upload every 3–8 s.
    wait_time = between(
        float(os.environ.get("LOAD_WAIT_MIN", "3")), float(os.environ.get("LOAD_WAIT_MAX", "8"))
    )

    def on_start(self):
        self.me = USERS[next(_next) % len(USERS)]
        self.base = f"/rounds/{self.me['round']}/units/{self.me['unit']}/"
        self.client.cookies.set("sessionid", self.me["session"])
        page = self.client.get(self.base, name="fill form")
        self.csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        self.state = {k: {"value": "", "version": ""} for k in self.me["keys"]}
        self.counter = 0
        self.saved: dict[str, str] = {}
        # values sent whose outcome the client never saw (connection error): the server may have stored them
        self.unconfirmed: dict[str, list[str]] = {}
        self.upload_attempts = 0
        self.uploads = 0

    def _refresh(self):
        """After an answer that never arrived, re-read the form like a person would (value and version)."""
        page = self.client.get(self.base, name="fill form")
        for i, key in re.findall(r'name="key_(\d+)" value="([^"]+)"', page.text):
            if key in self.state:
                ver = re.search(rf'name="ver_{i}" value="(\d*)"', page.text).group(1)
                val = re.search(rf'name="ov_{i}" value="([^"]*)"', page.text).group(1)
                self.state[key] = {"value": val, "version": int(ver) if ver else ""}
        self.stale = False

    @task(5)
    def save_value(self):
        if getattr(self, "stale", False):
            self._refresh()
        self.counter += 1
        key = self.me["keys"][self.counter % len(self.me["keys"])]
        old = self.state[key]
        value = f"{(self.counter * 7) % 100}%"
        data = {
            "csrfmiddlewaretoken": self.csrf,
            "count": "1",
            "key_0": key,
            "v_0": value,
            "n_0": "",
            "ov_0": old["value"],
            "on_0": "",
            "ver_0": str(old["version"]),
        }
        # Recorded before sending: if the answer never arrives, the server may still have stored it.
        self.unconfirmed.setdefault(key, []).append(value)
        with self.client.post(
            self.base, data, name="save input", allow_redirects=False, catch_response=True
        ) as resp:
            if resp.status_code != 302:
                resp.failure(_why(resp))
                self.stale = True
                return
        self.unconfirmed.pop(key, None)
        # The platform bumps the version by one on each change of a value (only this filler edits its unit).
        if value != old["value"]:
            self.state[key] = {"value": value, "version": (int(old["version"]) + 1) if old["version"] else 1}
        self.saved[key] = value

    @task(1)
    def upload_evidence(self):
        indicator = self.me["keys"][self.uploads % len(self.me["keys"])].split("::")[0]
        files = {"file": (f"证明{self.uploads}.pdf", PDF, "application/pdf")}
        self.upload_attempts += 1
        with self.client.post(
            self.base + "evidence/",
            {"csrfmiddlewaretoken": self.csrf, "indicator": indicator},
            files=files,
            name="upload evidence",
            allow_redirects=False,
            catch_response=True,
        ) as resp:
            if resp.status_code != 302:
                resp.failure(_why(resp))
                return
        self.uploads += 1

    def on_stop(self):
        out = {
            "unit": self.me["unit"],
            "saved": self.saved,
            "unconfirmed": self.unconfirmed,
            "uploads": self.uploads,
            "upload_attempts": self.upload_attempts,
        }
        (RESULTS / f"{self.me['unit']}.json").write_text(
            json.dumps(out, ensure_ascii=False), encoding="utf-8"
        )
