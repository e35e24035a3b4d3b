"""Indicator systems (指标体系) stored as the YAML of the core's ``system.to_dict()``."""

from __future__ import annotations

from django.conf import settings
from django.db import models

GUARDED_FIELDS = frozenset({"slug", "yaml_text"})


class SystemQuerySet(models.QuerySet):
    """``update()`` and ``bulk_update()`` bypass ``save()``; they get the same guard, so no ORM path can
    rewrite the definition of a system a round uses (raw SQL is the operator's own responsibility)."""

    def _refuse_if_used(self, fields: set[str] | frozenset[str], systems: list[System] | None = None) -> None:
        if not fields & GUARDED_FIELDS:
            return
        from govassess.web.rounds.models import Round

        pks = [s.pk for s in systems] if systems is not None else list(self.values_list("pk", flat=True))
        used = Round.objects.filter(system_id__in=pks).values_list("system_id", flat=True).first()
        if used is not None:
            from govassess.errors import UserError

            raise UserError(immutable_message(System.objects.get(pk=used)))

    def update(self, **kwargs):
        self._refuse_if_used(set(kwargs))
        return super().update(**kwargs)

    def bulk_update(self, objs, fields, batch_size=None):
        objs = list(objs)
        self._refuse_if_used(set(fields), objs)
        return super().bulk_update(objs, fields, batch_size=batch_size)


class System(models.Model):
    slug = models.CharField("体系标识", max_length=80, unique=True)
    name = models.CharField("体系名称", max_length=200)
    yaml_text = models.TextField("体系定义（YAML）")
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = SystemQuerySet.as_manager()

    class Meta:
        verbose_name = "指标体系"
        verbose_name_plural = "指标体系"
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name

    def rounds_using(self) -> list[str]:
        """Names of the rounds that reference this system (their inputs and scores mean what it says)."""
        if self.pk is None:
            return []
        from govassess.web.rounds.models import Round

        return list(Round.objects.filter(system_id=self.pk).order_by("pk").values_list("name", flat=True))

    def save(self, *args, **kwargs):
        # The last line of defence on every path that saves a model (admin, services, shell): the definition
        # of a system a round uses never changes; a changed definition is a new system (a new id).
        if self.pk is not None:
            stored = System.objects.filter(pk=self.pk).values_list("slug", "yaml_text").first()
            if stored is not None and stored != (self.slug, self.yaml_text) and self.rounds_using():
                from govassess.errors import UserError

                raise UserError(immutable_message(self))
        super().save(*args, **kwargs)


def immutable_message(system: System) -> str:
    names = system.rounds_using()
    shown = "、".join(f"「{n}」" for n in names[:3]) + (f"等 {len(names)} 个轮次" if len(names) > 3 else "")
    return (
        f"指标体系「{system.name}」（{system.slug}）已被轮次{shown}使用，体系定义不能再修改："
        f"否则这些轮次已有的填报和评分会按另一套规则解释。请把 YAML 中的 id 改为新的标识"
        f"（如「{system.slug}-v2」）后作为新版本导入，新的轮次选用新版本。"
    )


class AssignmentKind(models.TextChoices):
    PROVIDER = "provider", "数据提供"
    REVIEWER = "reviewer", "评审"


class Assignment(models.Model):
    """Which provider department (or reviewer) answers for which indicator of a system."""

    system = models.ForeignKey(
        System, verbose_name="指标体系", on_delete=models.CASCADE, related_name="assignments"
    )
    indicator = models.CharField("指标编码", max_length=40)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="负责账号",
        on_delete=models.CASCADE,
        related_name="assignments",
    )
    kind = models.CharField(
        "类型", max_length=16, choices=AssignmentKind.choices, default=AssignmentKind.PROVIDER
    )

    class Meta:
        verbose_name = "指标分工"
        verbose_name_plural = "指标分工"
        constraints = [
            models.UniqueConstraint(fields=["system", "indicator", "user", "kind"], name="uniq_assignment")
        ]

    def __str__(self) -> str:
        return f"{self.system.slug} {self.indicator} → {self.user}"
