"""Writing units (master data)."""

from __future__ import annotations

from django.db import transaction

from govassess.web.audit.services import audit_record
from govassess.web.organisation.models import Unit


def unit_upsert(*, user, code: str, name: str, unit_class: str, attributes: dict | None = None) -> Unit:
    with transaction.atomic():
        unit = Unit.objects.filter(code=code).first()
        before = None
        if unit is None:
            unit = Unit.objects.create(
                code=code, name=name, unit_class=unit_class, attributes=attributes or {}
            )
        else:
            before = {"name": unit.name, "class": unit.unit_class, "attributes": unit.attributes}
            unit.name, unit.unit_class, unit.attributes = name, unit_class, attributes or {}
            unit.save()
        after = {"name": unit.name, "class": unit.unit_class, "attributes": unit.attributes}
        if before != after:
            audit_record(
                user=user,
                action="unit_save",
                object_type="unit",
                object_id=code,
                unit_code=code,
                before=before,
                after=after,
            )
    return unit


def units_import(*, user, path: str) -> int:
    """Import units from CSV/XLSX through the core's `read_units` (all-or-nothing)."""
    from govassess.data import read_units

    frame = read_units(path)
    with transaction.atomic():
        for row in frame.iter_rows(named=True):
            attrs = {k: v for k, v in row.items() if k not in ("unit", "name", "class") and v is not None}
            unit_upsert(
                user=user,
                code=str(row["unit"]),
                name=str(row["name"]),
                unit_class=str(row["class"]),
                attributes=attrs,
            )
    return frame.height


# ---- 一表通 master data ---------------------------------------------------------------------------------


def unit_profile_update(*, user, unit: Unit, data: dict) -> Unit:
    """Change a unit's master data (单位名称 and the UnitProfile fields). Office: any unit; filler: own unit.
    Every field is checked with the survey's validators; all problems are reported together, nothing saved."""
    from django.core.exceptions import PermissionDenied

    from govassess.errors import Problem, UserError
    from govassess.forms.validators import check_credit_code, check_phone
    from govassess.web.organisation.models import PROFILE_FIELDS, UnitProfile
    from govassess.web.organisation.selectors import can_edit_profile, profile_dict

    if not can_edit_profile(user, unit):
        raise PermissionDenied("只能修改本单位的单位信息。")
    clean = {k: " ".join(str(data.get(k) or "").split()) for k, _ in [("name", "单位名称"), *PROFILE_FIELDS]}
    labels = dict([("name", "单位名称"), *PROFILE_FIELDS])
    problems = []
    for key in ("name", "address", "credit_code", "nature", "contact", "phone"):
        if not clean[key]:
            problems.append(Problem(f"{labels[key]}为必填项", field=labels[key]))
    if clean["address"] and "号" not in clean["address"]:
        problems.append(Problem("地址须精确到门牌号（如：XX市XX区XX路XX号）", field="地址"))
    if clean["credit_code"]:
        clean["credit_code"] = clean["credit_code"].replace(" ", "").upper()
        why = check_credit_code(clean["credit_code"])
        if why:
            problems.append(Problem(f"{why}（填写值：「{clean['credit_code']}」）", field="统一社会信用代码"))
    if clean["phone"]:
        why = check_phone(clean["phone"])
        if why:
            problems.append(Problem(f"{why}（填写值：「{clean['phone']}」）", field="联系方式"))
    if clean["department"] and clean["department"] == clean["name"]:
        problems.append(Problem("所属部门不能是本单位自己；部门本级请留空", field="所属部门"))
    if problems:
        raise UserError(problems=problems)
    with transaction.atomic():
        unit = Unit.objects.select_for_update().get(pk=unit.pk)
        profile, _ = UnitProfile.objects.get_or_create(unit=unit)
        before = profile_dict(unit, profile)
        unit.name = clean["name"]
        unit.save(update_fields=["name"])
        for key, _label in PROFILE_FIELDS:
            setattr(profile, key, clean[key])
        profile.save()
        after = profile_dict(unit, profile)
        changed = [k for k in after if before.get(k) != after.get(k)]
        if changed:
            _profile_history(user, unit, {k: before[k] for k in changed}, {k: after[k] for k in changed})
        if before["单位名称"] != after["单位名称"]:
            # 一表通: subordinate units name their department by its name; a rename follows them.
            subs = UnitProfile.objects.filter(department=before["单位名称"]).exclude(unit=unit)
            for sub in subs.select_related("unit"):
                sub.department = after["单位名称"]
                sub.save(update_fields=["department", "updated_at"])
                _profile_history(
                    user, sub.unit, {"所属部门": before["单位名称"]}, {"所属部门": after["单位名称"]}
                )
    return unit


def _profile_history(user, unit: Unit, before: dict, after: dict) -> None:
    from govassess.web.organisation.models import UnitProfileChange

    authenticated = user is not None and getattr(user, "is_authenticated", False)
    UnitProfileChange.objects.create(
        unit=unit,
        user=user if authenticated else None,
        username=user.get_username() if authenticated else "",
        before=before,
        after=after,
    )
    audit_record(
        user=user,
        action="unit_profile_save",
        object_type="unit_profile",
        object_id=unit.code,
        unit_code=unit.code,
        before=before,
        after=after,
    )
