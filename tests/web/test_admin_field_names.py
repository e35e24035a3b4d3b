"""Issue 17 (admin in Chinese): every field of every model registered in the admin — the columns, filters and
form labels the office reads — has a Chinese name, and so has every model (singular and plural). Django's own
models (账号, 组) are read under the zh-hans translation, as the admin shows them."""

from __future__ import annotations

import re

from django.apps import apps
from django.contrib import admin
from django.utils import translation

ASCII_ONLY = re.compile(r"^[\x00-\x7f]*$")


def _models():
    """Every model registered in the admin and every model of the project's apps."""
    seen = list(admin.site._registry)
    seen += [m for m in apps.get_models() if m.__module__.startswith("govassess.") and m not in seen]
    return seen


def _labels():
    with translation.override("zh-hans"):
        for model in _models():
            meta = model._meta
            yield f"{meta.label} verbose_name", str(meta.verbose_name)
            yield f"{meta.label} verbose_name_plural", str(meta.verbose_name_plural)
            if meta.proxy and not meta.concrete_model.__module__.startswith(("govassess.", "django.")):
                # A proxy of a third-party model (accounts.OtpDevice → django-otp): its fields belong to that
                # app; what the admin shows of it is checked below.
                continue
            for field in meta.get_fields():
                if field.auto_created and not field.concrete:
                    continue  # reverse relations: not columns of this model
                if getattr(field, "primary_key", False) and field.auto_created:
                    continue  # the automatic id
                yield f"{meta.label}.{field.name}", str(getattr(field, "verbose_name", field.name))


def _admin_labels(office):
    """The column headers, filters and form labels each admin page shows."""
    from django.contrib.admin.utils import label_for_field
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = office
    with translation.override("zh-hans"):
        for model, model_admin in admin.site._registry.items():
            where = model._meta.label
            names = [n for n in model_admin.get_list_display(request) if n != "__str__"]
            names += [f for f in model_admin.get_list_filter(request) if isinstance(f, str)]
            obj = model._default_manager.first()
            names += [n for n in model_admin.get_fields(request, obj) if isinstance(n, str)]
            for name in dict.fromkeys(names):
                yield f"{where} admin {name}", str(label_for_field(name, model, model_admin))


def test_every_admin_model_and_field_has_a_chinese_name():
    english = [f"{where}: {label!r}" for where, label in _labels() if ASCII_ONLY.match(label)]
    assert not english, "ASCII-only names in the admin:\n" + "\n".join(english)


def test_every_admin_page_labels_its_columns_filters_and_fields_in_chinese(org):
    english = [f"{where}: {label!r}" for where, label in _admin_labels(org.office) if ASCII_ONLY.match(label)]
    assert not english, "ASCII-only labels on admin pages:\n" + "\n".join(english)


def test_the_admin_shows_the_chinese_field_names(org):
    from django.test import Client

    from govassess.web.rounds.models import ScoringRun

    run = ScoringRun.objects.create(round=org.round, status="done")
    client = Client()
    client.force_login(org.office)
    text = client.get("/admin/rounds/scoringrun/").content.decode()
    assert "创建时间" in text and "Created at" not in text
    text = client.get(f"/admin/rounds/scoringrun/{run.pk}/change/").content.decode()
    assert "状态" in text and "Status" not in text
