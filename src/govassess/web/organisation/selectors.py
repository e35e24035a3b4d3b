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
