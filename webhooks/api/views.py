from datetime import timedelta

from django.db.models import F
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from pinghome.api import (
    OrganizationAPIView,
    created,
    keyset_page,
    ok,
    parse_uuid,
    rendered_list,
)
from pinghome.openapi import CONFLICT, CREATED, ERRORS, FORBIDDEN, KEYSET_PARAMETERS, MESSAGE
from webhooks import services
from webhooks.api.serializers import (
    LIST_BODY_BYTES,
    RotateSerializer,
    WebhookEventListSerializer,
    WebhookEventSerializer,
    WebhookSerializer,
    WebhookWriteSerializer,
)
from webhooks.models import Webhook
from webhooks.pages import with_body_preview

ROTATED = inline_serializer(
    "WebhookRotated",
    {
        "message": serializers.CharField(),
        "url": serializers.CharField(help_text="The new ingest URL."),
        "previous_url_valid_until": serializers.DateTimeField(),
    },
)
WEBHOOKS = Webhook.objects.live().annotate(heartbeat_ruleset_id=F("heartbeat_ruleset__id"))


class WebhookListView(OrganizationAPIView):
    @extend_schema(
        summary="Webhooks of the organization",
        responses={200: WebhookSerializer(many=True), **ERRORS},
    )
    def get(self, request):
        webhooks = WEBHOOKS.filter(organization=self.organization)
        return Response(WebhookSerializer(webhooks, many=True).data)


class WebhookCreateView(OrganizationAPIView):
    @extend_schema(
        summary="Create a webhook",
        description="Its id is the secret part of the ingest URL `/v1/incident/webhook/{id}` "
        "(until the URL is rotated). Managers of its team (`team_id`), or organization admins "
        "for a webhook of no team.",
        request=WebhookWriteSerializer,
        responses={201: CREATED, **FORBIDDEN, **ERRORS},
    )
    def post(self, request):
        body = WebhookWriteSerializer(
            data=request.data, context={"organization": self.organization}
        )
        body.is_valid(raise_exception=True)
        webhook = services.create_webhook(self.organization, by=request.user, **body.validated_data)
        return created(webhook.id)


class WebhookView(OrganizationAPIView):
    @extend_schema(summary="One webhook (extension)", responses={200: WebhookSerializer, **ERRORS})
    def get(self, request, webhook_id):
        return Response(WebhookSerializer(self.get_in_organization(WEBHOOKS, webhook_id)).data)

    @extend_schema(
        summary="Update a webhook (extension)",
        description=(
            "Fields left out keep their value. The heartbeat is set, changed, paused, resumed "
            "or switched off (`expect_every_seconds: null`) here. Managers of the webhook's "
            "team, or organization admins for a webhook of no team."
        ),
        request=WebhookWriteSerializer,
        responses={200: MESSAGE, **FORBIDDEN, **ERRORS},
    )
    def put(self, request, webhook_id):
        webhook = self.get_in_organization(Webhook.objects.live(), webhook_id)
        body = WebhookWriteSerializer(
            data=request.data, context={"organization": self.organization}
        )
        body.is_valid(raise_exception=True)
        services.update_webhook(webhook, by=request.user, changes=body.validated_data)
        return ok("Webhook updated.")

    @extend_schema(
        summary="Delete a webhook (extension)",
        description="Ingest to any of its URLs answers 404 at once; its heartbeat is switched "
        "off; its stored events stay until they are purged (its events route answers 404). "
        "While rulesets listen to it, a 409 naming them. Same roles as PUT.",
        responses={200: MESSAGE, **FORBIDDEN, **CONFLICT, **ERRORS},
    )
    def delete(self, request, webhook_id):
        webhook = self.get_in_organization(Webhook.objects.live(), webhook_id)
        services.delete_webhook(webhook, by=request.user)
        return ok("Webhook deleted.")


class WebhookRotateView(OrganizationAPIView):
    @extend_schema(
        summary="Give a webhook a new ingest URL (extension)",
        description="The current URL keeps working for `grace_seconds` (default 86400, at most "
        "604800; 0: stops at once), then answers 404. Same roles as PUT.",
        request=RotateSerializer,
        responses={200: ROTATED, **FORBIDDEN, **ERRORS},
    )
    def post(self, request, webhook_id):
        webhook = self.get_in_organization(Webhook.objects.live(), webhook_id)
        body = RotateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        until = services.rotate_ingest_url(
            webhook, by=request.user, grace=timedelta(seconds=body.validated_data["grace_seconds"])
        )
        webhook.refresh_from_db()
        return Response(
            {
                "message": "Ingest URL rotated.",
                "url": webhook.ingest_url,
                "previous_url_valid_until": serializers.DateTimeField().to_representation(until),
            }
        )


class WebhookEventsView(OrganizationAPIView):
    @extend_schema(
        summary="Events received by a webhook, newest first",
        description=(
            "Page backwards with `last_received_at` (and, extension, `last_id`) taken from the "
            "last event of the previous page. `evaluation` (extension) tells what the rulesets "
            f"did. Each body over {LIST_BODY_BYTES // 1024} KB is cut (`body_truncated`); "
            "`GET /v1/webhook/{id}/event/{event_id}` returns an event whole."
        ),
        parameters=KEYSET_PARAMETERS("received_at"),
        responses={200: WebhookEventListSerializer(many=True), **ERRORS},
    )
    def get(self, request, webhook_id):
        webhook = self.get_in_organization(Webhook.objects.live(), webhook_id)
        events = keyset_page(
            request, with_body_preview(webhook.events.all(), LIST_BODY_BYTES), "received_at"
        )
        return rendered_list(events, WebhookEventListSerializer)


class WebhookEventView(OrganizationAPIView):
    @extend_schema(
        summary="One event of a webhook, whole",
        description="Extension. The body however large (lists cut it at 64 KB).",
        responses={200: WebhookEventSerializer, **ERRORS},
    )
    def get(self, request, webhook_id, event_id):
        webhook = self.get_in_organization(Webhook.objects.live(), webhook_id)
        event = webhook.events.filter(pk=parse_uuid(event_id)).first()
        if event is None:
            raise NotFound("Not found.")
        return Response(WebhookEventSerializer(event).data)
