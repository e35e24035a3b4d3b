from django.contrib import admin

from govassess.web.systems.models import Assignment, System


@admin.register(System)
class SystemAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "updated_at"]
    search_fields = ["slug", "name"]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["system", "indicator", "user", "kind"]
    list_filter = ["system", "kind"]
