"""Storing indicator systems: always through the core, so a stored system is one the core accepts."""

from __future__ import annotations

from django.db import transaction

from govassess.errors import UserError
from govassess.web.audit.services import audit_record
from govassess.web.systems.models import Assignment, AssignmentKind, System, immutable_message


def system_refuse_change(*, user, system: System, source: str) -> None:
    """Audit a refused change of a system that rounds use, then raise the Chinese reason (UserError). The
    entry is written outside any transaction the refusal rolls back."""
    audit_record(
        user=user,
        action="system_change_refused",
        object_type="system",
        object_id=system.slug,
        before={"name": system.name},
        after={"source": source, "rounds": system.rounds_using()},
    )
    raise UserError(immutable_message(system))


def system_import(*, user, source: str, keep_if_in_use: bool = False) -> System:
    """Load a system with the core (built-in id or YAML path) and store its `to_dict()` as YAML.
    A system that rounds use is never changed: a different definition under its id is refused (audited),
    or with `keep_if_in_use` (the demo data loaded at every start) the stored definition is kept."""
    from govassess.indicators import dump_yaml, load_system

    core = load_system(source)
    text = dump_yaml(core)
    existing = System.objects.filter(slug=core.id).first()
    if existing is not None and existing.yaml_text != text and existing.rounds_using():
        if keep_if_in_use:
            return existing
        system_refuse_change(user=user, system=existing, source=source)
    with transaction.atomic():
        system, created = System.objects.get_or_create(
            slug=core.id, defaults={"name": core.name, "yaml_text": text}
        )
        before = None if created else {"name": system.name}
        if not created and system.yaml_text != text:
            system.name = core.name
            system.yaml_text = text
            system.save()
        audit_record(
            user=user,
            action="system_import",
            object_type="system",
            object_id=system.slug,
            before=before,
            after={"name": system.name, "source": source},
        )
    return system


def assignment_set(*, user, system: System, indicator: str, assignee, kind: str = AssignmentKind.PROVIDER):
    with transaction.atomic():
        obj, created = Assignment.objects.get_or_create(
            system=system, indicator=indicator, user=assignee, kind=kind
        )
        if created:
            audit_record(
                user=user,
                action="assignment_set",
                object_type="assignment",
                object_id=obj.pk,
                indicator=indicator,
                after={"user": assignee.get_username(), "kind": kind, "system": system.slug},
            )
    return obj
