"""Accounts: creation and password changes are audited (never the password itself)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from govassess.web.accounts.models import Profile, Role
from govassess.web.audit.services import audit_record


def account_create(
    *, actor, username: str, password: str, role: str, unit=None, department: str = "", display_name: str = ""
):
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.create_user(username=username, password=password, first_name=display_name[:150])
        if role == Role.OFFICE:
            user.is_staff = True
            user.is_superuser = True
            user.save()
        Profile.objects.create(user=user, role=role, unit=unit, department=department)
        audit_record(
            user=actor,
            action="account_create",
            object_type="account",
            object_id=user.pk,
            unit_code=unit.code if unit else "",
            after={"username": username, "role": role, "unit": unit.code if unit else None},
        )
    return user


def account_set_password(*, actor, user, password: str) -> None:
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit_record(
            user=actor,
            action="account_password",
            object_type="account",
            object_id=user.pk,
            after={"username": user.get_username(), "password": "（已修改）"},
        )
