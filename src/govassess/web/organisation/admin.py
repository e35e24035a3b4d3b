from django.contrib import admin

from govassess.web.organisation.models import Unit


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "unit_class", "active"]
    list_filter = ["unit_class", "active"]
    search_fields = ["code", "name"]
