"""Django admin for the documents: to look things up, not to change them. Templates are checked by the core
loader, their logos stored beside them and every change audited by the template pages (documents.templating);
documents are made, published and opened to units by their own services. An admin edit would skip all that."""

from __future__ import annotations

from django.contrib import admin

from govassess.web.admin_readonly import ReadOnlyAdmin
from govassess.web.documents.models import Document, DocumentTemplate, ReaderVersion, RoundDocumentSettings


@admin.register(DocumentTemplate)
class DocumentTemplateAdmin(ReadOnlyAdmin):
    list_display = ["name", "logo_name", "updated_at", "updated_by"]
    search_fields = ["name"]


@admin.register(RoundDocumentSettings)
class RoundDocumentSettingsAdmin(ReadOnlyAdmin):
    list_display = ["round", "scorecard_template"]


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ["round", "kind", "format", "status", "template_name", "created_at", "published_at",
                    "units_published_at"]
    list_filter = ["kind", "format", "status"]


@admin.register(ReaderVersion)
class ReaderVersionAdmin(ReadOnlyAdmin):
    list_display = ["document", "reader", "status", "message", "size", "created_at", "finished_at"]
    list_filter = ["status"]
    search_fields = ["reader"]
