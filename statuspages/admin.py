"""Status pages and components. A component's status follows the holds of unresolved incidents
and its manual status (``statuspages.services.refresh_status``), so both are shown, not edited,
here; notices are read here, written on the pages or by API."""

from django.contrib import admin

from accounts.admin_base import (
    OrganizationScopedAdmin,
    ReadOnlyAdminMixin,
    ScopedInline,
    ScopedRelatedFilter,
)
from statuspages.models import (
    Component,
    ComponentDay,
    ComponentHold,
    Notice,
    NoticeUpdate,
    StatusChange,
    StatusPage,
    Subscriber,
)


class ComponentInline(ScopedInline, admin.TabularInline):
    model = Component
    organization_path = "status_page__organization"
    fields = ("name", "public_name", "description", "status", "manual_status", "updated_at")
    readonly_fields = ("status", "manual_status", "updated_at")
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
    fields = (
        "id",
        "status_page",
        "name",
        "public_name",
        "description",
        "status",
        "manual_status",
        "updated_at",
        "created_at",
    )
    readonly_fields = ("id", "status", "manual_status", "updated_at", "created_at")


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


class NoticeUpdateInline(ReadOnlyAdminMixin, ScopedInline, admin.TabularInline):
    model = NoticeUpdate
    organization_path = "notice__status_page__organization"
    fields = ("created_at", "status", "message", "created_by")
    readonly_fields = fields
    extra = 0


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdminMixin, OrganizationScopedAdmin):
    organization_path = "status_page__organization"
    list_display = ("title", "status_page", "status", "created_at", "resolved_at")
    list_select_related = ("status_page",)
    list_filter = ("status",)
    search_fields = ("title",)
    uuid_search_fields = ("pk", "status_page_id", "incident_id")
    ordering = ("-created_at",)
    inlines = (NoticeUpdateInline,)


@admin.register(Subscriber)
class SubscriberAdmin(OrganizationScopedAdmin):
    """Addresses subscribed to a page's notices: viewed, and deleted to stop mailing one."""

    organization_path = "status_page__organization"
    list_display = ("email", "status_page", "created_at", "confirmed_at")
    list_select_related = ("status_page",)
    search_fields = ("email",)
    uuid_search_fields = ("pk", "status_page_id")
    ordering = ("status_page__name", "email")
    fields = ("id", "status_page", "email", "created_at", "confirmation_sent_at", "confirmed_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(NoticeUpdate)
class NoticeUpdateAdmin(ReadOnlyAdminMixin, OrganizationScopedAdmin):
    organization_path = "notice__status_page__organization"
    list_display = ("notice", "status", "created_at", "created_by", "mailed_at")
    list_select_related = ("notice", "created_by")
    list_filter = ("status",)
    uuid_search_fields = ("pk", "notice_id")
    ordering = ("-created_at",)
    show_full_result_count = False


@admin.register(StatusChange)
class StatusChangeAdmin(ReadOnlyAdminMixin, OrganizationScopedAdmin):
    """A component's history: each status it took and when (written by its status changes)."""

    organization_path = "component__status_page__organization"
    list_display = ("component", "status", "at")
    list_select_related = ("component__status_page",)
    list_filter = ("status",)
    uuid_search_fields = ("component_id",)
    search_help_text = "A component id."
    ordering = ("-at",)
    show_full_result_count = False


@admin.register(ComponentDay)
class ComponentDayAdmin(ReadOnlyAdminMixin, OrganizationScopedAdmin):
    """Daily rollups of the history, read by the uptime bars."""

    organization_path = "component__status_page__organization"
    list_display = (
        "component",
        "day",
        "degraded_seconds",
        "partial_outage_seconds",
        "major_outage_seconds",
    )
    list_select_related = ("component__status_page",)
    uuid_search_fields = ("component_id",)
    search_help_text = "A component id."
    ordering = ("-day",)
    show_full_result_count = False
