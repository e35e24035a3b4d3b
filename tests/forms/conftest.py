"""Fixtures of the forms tests."""

from __future__ import annotations

import pytest

from govassess.forms.model import Form, load_form


@pytest.fixture(scope="session")
def form() -> Form:
    return load_form("info-system-survey")
