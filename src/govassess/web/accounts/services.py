"""Accounts: creation and password changes are audited (never the password itself)."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction

from govassess.errors import Problem, UserError
from govassess.web.accounts.models import Profile, Role
from govassess.web.accounts.selectors import user_profile
from govassess.web.audit.services import audit_record


def account_create(
    *,
    actor,
    username: str,
    password: str,
    role: str,
    unit=None,
    department: str = "",
    display_name: str = "",
    must_change_password: bool = False,
):
    """One account with its profile. `must_change_password` is for passwords someone other than the user knows
    (the office's 账号管理); command-line, demo and test accounts keep the default."""
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.create_user(username=username, password=password, first_name=display_name[:150])
        if role == Role.OFFICE:
            user.is_staff = True
            user.is_superuser = True
            user.save()
        Profile.objects.create(
            user=user, role=role, unit=unit, department=department, must_change_password=must_change_password
        )
        after = {"username": username, "role": role, "unit": unit.code if unit else None}
        if must_change_password:
            after["must_change_password"] = True
        audit_record(
            user=actor,
            action="account_create",
            object_type="account",
            object_id=user.pk,
            unit_code=unit.code if unit else "",
            after=after,
        )
    return user


def account_password_changed(*, user) -> None:
    """The user changed their own password (already saved by the caller, in the caller's transaction): the
    first-login flag is cleared and the change audited, the flag's change with it."""
    cleared = Profile.objects.filter(user=user, must_change_password=True).update(must_change_password=False)
    before, after = None, {"password": "（已修改）"}
    if cleared:
        before = {"must_change_password": True}
        after["must_change_password"] = False
    audit_record(
        user=user,
        action="account_password",
        object_type="account",
        object_id=user.pk,
        before=before,
        after=after,
    )


# ---- the office's account management (账号管理) ---------------------------------------------------------

# No 0/O/o, 1/l/I: the office reads the password out or copies it by hand.
PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PASSWORD_LENGTH = 14
IMPORT_COLUMNS = ("账号", "姓名", "角色", "评估对象编码")
# Besides the full labels (评估办管理员 …), the short names an office writes in a sheet.
ROLE_ALIASES = {
    "评估办": Role.OFFICE,
    "填报员": Role.FILLER,
    "被评估单位": Role.FILLER,
    "数据提供": Role.PROVIDER,
    "评审专家": Role.REVIEWER,
    "复核专家": Role.REVIEWER,
    "评审": Role.REVIEWER,
}


def _require_office(user) -> None:
    from govassess.web.rounds import policy

    policy.require(policy.can_manage(user), "只有评估办可以管理账号。")


def new_password() -> str:
    from django.utils.crypto import get_random_string

    while True:
        pw = get_random_string(PASSWORD_LENGTH, PASSWORD_ALPHABET)
        # Mixed letters and digits so the password validators of a later manual change never object.
        if any(c.isdigit() for c in pw) and any(c.isalpha() for c in pw):
            return pw


def role_from_label(text: str) -> str | None:
    text = (text or "").strip()
    for value, label in Role.choices:
        if text in (value, label):
            return value
    return ROLE_ALIASES.get(text)


def _account_problems(*, username: str, display_name: str, role: str | None, unit, unit_code: str) -> list:
    """What is wrong with one account to be created, as (column, message) pairs."""
    from django.contrib.auth.validators import UnicodeUsernameValidator
    from django.core.exceptions import ValidationError

    out = []
    if not username:
        out.append(("账号", "账号不能为空"))
    else:
        try:
            UnicodeUsernameValidator()(username)
            if len(username) > 150:
                raise ValidationError("too long")
        except ValidationError:
            out.append(("账号", f"账号「{username}」无效：最多 150 个字符，只能含字母、数字和 @ . + - _"))
        else:
            if get_user_model().objects.filter(username__iexact=username).exists():
                out.append(("账号", f"账号「{username}」已存在"))
    if not display_name:
        out.append(("姓名", "姓名不能为空"))
    if role is None:
        labels = "、".join(label for _, label in Role.choices)
        out.append(("角色", f"未知角色，应为：{labels}"))
    if unit_code and unit is None:
        out.append(("评估对象编码", f"没有编码为「{unit_code}」的评估对象"))
    elif role == Role.FILLER and unit is None:
        out.append(("评估对象编码", "被评估单位填报员必须填写所属评估对象编码"))
    elif role in (Role.OFFICE, Role.REVIEWER, Role.LEADER) and unit is not None:
        out.append(("评估对象编码", "该角色不属于某个评估对象，评估对象编码应留空"))
    return out


def _create(*, user, username: str, display_name: str, role: str, unit):
    password = new_password()
    account = account_create(
        actor=user,
        username=username,
        password=password,
        role=role,
        unit=unit,
        department=unit.name[:100] if unit is not None and role == Role.PROVIDER else "",
        display_name=display_name,
        must_change_password=True,  # the office has seen the password
    )
    return account, password


def account_add(*, user, username: str, display_name: str, role: str, unit=None):
    """One account with a random initial password; returns (account, password). The password is never stored
    in clear: the caller shows it once."""
    _require_office(user)
    username, display_name = username.strip(), display_name.strip()
    problems = _account_problems(
        username=username,
        display_name=display_name,
        role=role if role in Role.values else None,
        unit=unit,
        unit_code="",
    )
    if problems:
        raise UserError(problems=[Problem(msg, field=col) for col, msg in problems])
    with transaction.atomic():
        return _create(user=user, username=username, display_name=display_name, role=role, unit=unit)


def _cell(row: list, col: int | None) -> str:
    if col is None or col >= len(row) or row[col] is None:
        return ""
    value = row[col]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def account_bulk_create(*, user, upload) -> list[tuple]:
    """Accounts from an Excel sheet (账号, 姓名, 角色, 评估对象编码), all or nothing: every bad row is reported
    with sheet, row and column and nothing is created. Returns [(account, password)] in sheet order."""
    import io

    from django.conf import settings

    from govassess.forms.survey import read_workbook
    from govassess.web.organisation.models import Unit

    _require_office(user)
    name = Path(getattr(upload, "name", None) or "账号.xlsx").name
    if Path(name).suffix.lower() != ".xlsx":
        raise UserError(f"文件「{name}」不是 Excel（.xlsx）文件。", file=name)
    if upload.size > settings.EVIDENCE_MAX_BYTES:
        raise UserError(f"文件过大（上限 {settings.EVIDENCE_MAX_BYTES // 1024 // 1024} MB）", file=name)
    sheets = [s for s in read_workbook(io.BytesIO(upload.read()), filename=name) if not s.hidden]
    found = None
    for sheet in sheets:
        for r, row in enumerate(sheet.rows[:10]):
            heads = {str(c).strip().lstrip("*"): i for i, c in enumerate(row) if c is not None}
            if "账号" in heads and "角色" in heads:
                found = (sheet, r, heads)
                break
        if found:
            break
    if found is None:
        raise UserError(f"没有找到表头：第一行应为 {'、'.join(IMPORT_COLUMNS)}", file=name)
    sheet, header, heads = found
    units = {u.code: u for u in Unit.objects.all()}
    problems: list[Problem] = []
    todo, seen = [], {}
    for r, row in enumerate(sheet.rows[header + 1 :], start=header + 2):
        values = {col: _cell(row, heads.get(col)) for col in IMPORT_COLUMNS}
        if not any(values.values()):
            continue
        username, code = values["账号"], values["评估对象编码"]
        role = role_from_label(values["角色"])
        unit = units.get(code) if code else None
        here = []
        for col, msg in _account_problems(
            username=username, display_name=values["姓名"], role=role, unit=unit, unit_code=code
        ):
            if col == "角色":
                msg = f"未知角色「{values['角色']}」" + msg[4:]
            here.append(Problem(msg, file=name, sheet=sheet.name, row=r, column=col))
        key = username.lower()
        if username and key in seen:
            here.append(
                Problem(
                    f"账号「{username}」在本表中重复（第 {seen[key]} 行已有）",
                    file=name,
                    sheet=sheet.name,
                    row=r,
                    column="账号",
                )
            )
        seen.setdefault(key, r)
        problems += here
        if not here:
            todo.append((username, values["姓名"], role, unit))
    if problems:
        raise UserError(problems=problems)
    if not todo:
        raise UserError("表中没有任何账号", file=name, sheet=sheet.name)
    with transaction.atomic():
        return [_create(user=user, username=u, display_name=d, role=ro, unit=un) for u, d, ro, un in todo]


def _active_office_count() -> int:
    from django.db.models import Q

    User = get_user_model()
    office = Q(profile__role=Role.OFFICE) | Q(is_superuser=True, profile__isnull=True)
    # Lock every active office row: two offices deactivating each other at once must not both succeed.
    return len(User.objects.select_for_update(of=("self",)).filter(office, is_active=True))


def _is_office(account) -> bool:
    from govassess.web.accounts.selectors import user_role

    return user_role(user=account) == Role.OFFICE


def account_deactivate(*, user, account) -> None:
    """Stops the account from logging in (its open sessions end too: Django refuses inactive users)."""
    _require_office(user)
    if account.pk == user.pk:
        raise UserError("不能停用自己的账号。")
    _set_active(user=user, account=account, active=False)


def account_reactivate(*, user, account) -> None:
    _require_office(user)
    _set_active(user=user, account=account, active=True)


def _set_active(*, user, account, active: bool) -> None:
    with transaction.atomic():
        account = get_user_model().objects.select_for_update().get(pk=account.pk)
        if account.is_active == active:
            return
        if not active and _is_office(account) and _active_office_count() <= 1:
            raise UserError("这是最后一个启用的评估办账号，不能停用。")
        account.is_active = active
        account.save(update_fields=["is_active"])
        after = {"username": account.username, "active": active}
        if not active:
            # A deactivated account's API token is revoked, not just refused: reactivating the account (say,
            # for the person's successor) must not bring back a token the previous holder knows.
            from rest_framework.authtoken.models import Token

            after["tokens_revoked"] = Token.objects.filter(user=account).delete()[0]
        audit_record(
            user=user,
            action="account_reactivate" if active else "account_deactivate",
            object_type="account",
            object_id=account.pk,
            before={"username": account.username, "active": not active},
            after=after,
        )


def account_password_reset(*, user, account) -> str:
    """A new random password for the account (returned once, to be shown once); its sessions end and, as the
    office has seen the password, the user must change it at the next login. A superuser without a profile
    (created from the command line) has nowhere to keep that flag and is not forced."""
    _require_office(user)
    password = new_password()
    with transaction.atomic():
        account.set_password(password)
        account.save(update_fields=["password"])
        account_password_set_by_office(user=user, account=account)
    return password


def account_password_set_by_office(*, user, account) -> None:
    """A password the office has set (already saved by the caller, in the caller's transaction): the account
    must change it at the next login, and the reset is audited. Not for one's own account, nor a superuser
    without a profile, which has nowhere to keep the flag."""
    after = {"username": account.username, "password": "（已重置）"}
    profile = user_profile(user=account) if account.pk != user.pk else None
    if profile is not None:
        profile.must_change_password = True
        profile.save(update_fields=["must_change_password"])
        after["must_change_password"] = True
    audit_record(
        user=user, action="account_password_reset", object_type="account", object_id=account.pk, after=after
    )
