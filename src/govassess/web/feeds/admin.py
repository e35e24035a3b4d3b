from django.contrib import admin
from django.db import models

from govassess.web.feeds.models import UnitSite


@admin.register(UnitSite)
class UnitSiteAdmin(admin.ModelAdmin):
    # Changes go through the feed pages (audited); the admin only lists.
    list_display = ("unit", "url", "max_pages", "active")
    # A bare host means https, as in Django 6 (and silences 5.2's warning about the changing default).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
