from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from accounts.admin_base import (
    OrganizationScopedAdmin,
    ReadOnlyAdminMixin,
    ScopedRelatedFilter,
    json_text,
    preformatted,
    pretty_json,
)
from accounts.admin_pagination import HighVolumeAdminMixin
from incidents.models import IncidentEvent
from webhooks.models import Webhook, WebhookEvent, WebhookIngestKey

# A body larger than this is shown cut (the ingest limit is 1 MiB by default).
BODY_DISPLAY_LIMIT = 200_000


class DeletedFilter(admin.SimpleListFilter):
    title = "deleted"
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return (("no", "Live"), ("yes", "Deleted"))

    def queryset(self, request, queryset):
        if self.value() in ("no", "yes"):
            return queryset.filter(deleted_at__isnull=self.value() == "no")
        return queryset


@admin.register(Webhook)
class WebhookAdmin(OrganizationScopedAdmin):
    """Deleting here removes the webhook and its events from the database; the API and the
    pages delete softly (ingest stops, events stay)."""

    list_display = (
        "__str__",
        "organization",
        "team",
        "heartbeat_status",
        "created_at",
        "deleted_at",
        "id",
    )
    list_select_related = ("organization", "team")
    list_filter = (DeletedFilter, ("team", ScopedRelatedFilter))
    search_fields = ("name", "description")
    uuid_search_fields = ("pk",)
    ordering = ("-created_at",)
    # The heartbeat is changed through the API or the webhook's page, which keep its ruleset.
    heartbeat = (
        "expect_every_seconds",
        "grace_seconds",
        "heartbeat_paused",
        "heartbeat_state",
        "heartbeat_since",
        "heartbeat_overdue_at",
    )
    shown = ("ingest_url", "created_at", "deleted_at", "events", "rejected_events", *heartbeat)
    readonly_fields = ("id", *shown)

    def get_fields(self, request, obj=None):
        editable = ("organization", "team", "name", "description", "max_events_per_minute")
        if obj is None:
            return editable
        return ("id", *editable, *self.shown)

    @admin.display(description="Events")
    def events(self, webhook: Webhook) -> str:
        url = reverse("admin:webhooks_webhookevent_changelist")
        return format_html(
            '<a href="{}?webhook__id__exact={}">Events of this webhook</a>', url, webhook.pk
        )


class PendingEvaluationFilter(admin.SimpleListFilter):
    """Only "not evaluated yet": that is what the partial index serves."""

    title = "evaluation"
    parameter_name = "evaluation"

    def lookups(self, request, model_admin):
        return (("pending", "Not evaluated yet"),)

    def queryset(self, request, queryset):
        if self.value() == "pending":
            return queryset.filter(evaluated_at__isnull=True)
        return queryset


@admin.register(WebhookEvent)
class WebhookEventAdmin(HighVolumeAdminMixin, ReadOnlyAdminMixin, OrganizationScopedAdmin):
    """Events exactly as received: read-only, the body decoded and pretty-printed."""

    organization_path = "webhook__organization"
    list_display = ("id", "received_at", "webhook", "content_type", "ip", "evaluated_at")
    list_select_related = ("webhook",)
    list_defer = ("body", "headers", "evaluation")
    list_filter = (("webhook", ScopedRelatedFilter), PendingEvaluationFilter)
    uuid_search_fields = ("pk", "webhook_id")
    search_help_text = "An event id or a webhook id."
    ordering = ("-received_at", "-id")
    fields = (
        "id",
        "webhook",
        "received_at",
        "content_type",
        "ip",
        "size",
        "body_display",
        "headers_display",
        "evaluated_at",
        "evaluation_attempts",
        "evaluation_display",
        "incidents",
    )
    readonly_fields = fields

    @admin.display(description="Size")
    def size(self, event: WebhookEvent) -> str:
        return f"{len(bytes(event.body))} bytes"

    @admin.display(description="Body")
    def body_display(self, event: WebhookEvent) -> str:
        document = event.parsed_body()
        text = document if isinstance(document, str) else json_text(document)
        if len(text) > BODY_DISPLAY_LIMIT:
            text = f"{text[:BODY_DISPLAY_LIMIT]}\n… (cut at {BODY_DISPLAY_LIMIT} characters)"
        return preformatted(text)

    @admin.display(description="Headers")
    def headers_display(self, event: WebhookEvent) -> str:
        return pretty_json(event.headers)

    @admin.display(description="Evaluation")
    def evaluation_display(self, event: WebhookEvent) -> str:
        if event.evaluation is None:
            return "Not evaluated yet."
        return pretty_json(event.evaluation)

    @admin.display(description="Incidents")
    def incidents(self, event: WebhookEvent) -> str:
        links = IncidentEvent.objects.filter(event=event).select_related("incident")
        return (
            format_html_join(
                ", ",
                '<a href="{}">{}</a>',
                (
                    (
                        reverse("admin:incidents_incident_change", args=[link.incident_id]),
                        link.incident,
                    )
                    for link in links
                ),
            )
            or "-"
        )


@admin.register(WebhookIngestKey)
class WebhookIngestKeyAdmin(ReadOnlyAdminMixin, OrganizationScopedAdmin):
    """The keys ingest accepts: the current one (no expiry) and rotated ones in their grace
    period. Written by the webhook services alone."""

    organization_path = "webhook__organization"
    list_display = ("webhook", "created_at", "expires_at")
    list_select_related = ("webhook",)
    uuid_search_fields = ("webhook_id",)
    search_help_text = "A webhook id."
    ordering = ("-created_at",)
    fields = ("webhook", "created_at", "expires_at")
