"""Status pages and components. A component's status follows the holds of unresolved incidents
(``statuspages.services.refresh_status``), so it is shown, not edited, here."""

from django.contrib import admin

from accounts.admin_base import (
    OrganizationScopedAdmin,
    ReadOnlyAdminMixin,
    ScopedInline,
    ScopedRelatedFilter,
)
from statuspages.models import Component, ComponentHold, StatusPage


class ComponentInline(ScopedInline, admin.TabularInline):
    model = Component
    organization_path = "status_page__organization"
    fields = ("name", "status", "updated_at")
    readonly_fields = ("status", "updated_at")
    extra = 0


@admin.register(StatusPage)
class StatusPageAdmin(OrganizationScopedAdmin):
    list_display = ("name", "organization", "created_at", "id")
    list_select_related = ("organization",)
    search_fields = ("name",)
    uuid_search_fields = ("pk",)
    ordering = ("name",)
    fields = ("id", "organization", "name", "created_at")
    readonly_fields = ("id", "created_at")
    inlines = (ComponentInline,)


@admin.register(Component)
class ComponentAdmin(OrganizationScopedAdmin):
    organization_path = "status_page__organization"
    str_select_related = ("status_page",)
    list_display = ("name", "status_page", "status", "updated_at")
    list_select_related = ("status_page",)
    list_filter = ("status", ("status_page", ScopedRelatedFilter))
    search_fields = ("name", "status_page__name")
    uuid_search_fields = ("pk", "status_page_id")
    ordering = ("status_page__name", "name")
    fields = ("id", "status_page", "name", "status", "updated_at", "created_at")
    readonly_fields = ("id", "status", "updated_at", "created_at")


@admin.register(ComponentHold)
class ComponentHoldAdmin(ReadOnlyAdminMixin, OrganizationScopedAdmin):
    """An unresolved incident holding a component at a status (written by trigger-alerts)."""

    organization_path = "component__status_page__organization"
    list_display = ("component", "incident", "status", "created_at")
    list_select_related = ("component__status_page", "incident")
    list_filter = ("status",)
    uuid_search_fields = ("component_id", "incident_id")
    search_help_text = "A component id or an incident id."
    ordering = ("-created_at",)
    show_full_result_count = False
