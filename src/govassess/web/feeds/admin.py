from django.contrib import admin

from govassess.web.feeds.models import UnitSite


@admin.register(UnitSite)
class UnitSiteAdmin(admin.ModelAdmin):
    # Changes go through the feed pages (audited); the admin only lists.
    list_display = ("unit", "url", "max_pages", "active")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
