"""Units as the core expects them: a polars frame with unit, name, class and attribute columns."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from govassess.web.organisation.models import Unit


def unit_list(*, unit_class: str | None = None, classes: Iterable[str] | None = None) -> QuerySet[Unit]:
    qs = Unit.objects.filter(active=True)
    if unit_class:
        qs = qs.filter(unit_class=unit_class)
    if classes:
        qs = qs.filter(unit_class__in=list(classes))
    return qs.order_by("unit_class", "code")


def units_frame(units: Iterable[Unit]):
    """The core's units frame (validated and typed by the core's `units_from_rows`)."""
    from govassess.data import units_from_rows

    rows = []
    for u in units:
        attrs = {k: v for k, v in (u.attributes or {}).items() if k not in ("unit", "name", "class")}
        rows.append({"unit": u.code, "name": u.name, "class": u.unit_class, **attrs})
    return units_from_rows(rows)


# ---- 一表通 master data ---------------------------------------------------------------------------------


def can_edit_profile(user, unit: Unit) -> bool:
    """The office edits every unit's master data; a filler edits its own unit's (others read nothing)."""
    from govassess.web.accounts.models import Role
    from govassess.web.accounts.selectors import user_role, user_unit_id

    role = user_role(user=user)
    if role == Role.OFFICE:
        return True
    return role == Role.FILLER and user_unit_id(user=user) == unit.pk


def profile_dict(unit: Unit, profile=None) -> dict:
    """Master data keyed by the survey's column names (单位名称, 所属部门, 地址, 统一社会信用代码, 性质, 联系人,
    联系方式): what the history stores and what `survey_template(units=…)` pre-fills."""
    from govassess.web.organisation.models import PROFILE_FIELDS, UnitProfile

    if profile is None:
        profile = UnitProfile.objects.filter(unit=unit).first()
    out = {"单位名称": unit.name}
    for key, label in PROFILE_FIELDS:
        out[label] = getattr(profile, key, "") if profile is not None else ""
    return out


def unit_master_rows(unit: Unit) -> list[dict]:
    """The unit and its subordinate units (所属部门 = this unit's name), as 单位基本情况 rows; blanks are None."""
    from govassess.web.organisation.models import UnitProfile

    rows = [profile_dict(unit)]
    subs = UnitProfile.objects.filter(department=unit.name).exclude(unit=unit).select_related("unit")
    rows += [profile_dict(p.unit, p) for p in subs.order_by("unit__code")]
    return [{k: (v or None) for k, v in r.items()} for r in rows]


def unit_profile_history(unit: Unit):
    return unit.profile_changes.all()
