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
