"""Webhook pages: the ingest URL to copy, creating a webhook, and what each event became.

Also how an event is shown anywhere (the incident page folds the same bodies): only a prefix of
the body is read from the database, so a page of events stays small whatever was POSTed.
"""

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import BinaryField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Length, Substr
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from accounts.models import Team
from incidents.models import Incident
from pinghome.api import Conflict, parse_instant, parse_uuid
from pinghome.pages import OrganizationPageMixin
from rulesets.models import Ruleset
from webhooks import services
from webhooks.models import (
    DEFAULT_EVENTS_PER_MINUTE,
    MAX_EVENTS_PER_MINUTE,
    MAX_HEARTBEAT_SECONDS,
    MIN_HEARTBEAT_SECONDS,
    Webhook,
    WebhookEvent,
)

EVENTS_PER_PAGE = 50
PREVIEW_BYTES = 16 * 1024
CURL_BODY = '{"status": "firing", "service": "api", "summary": "API error rate above 5%"}'


# --- showing an event ------------------------------------------------------------------------


@dataclass(frozen=True)
class ShownBody:
    text: str
    is_json: bool
    size: int
    truncated: bool
    # JSON documents held in strings (AWS SNS's ``Message``) are shown as JSON in ``text``.
    expanded: bool = False


EMBEDDED_JSON_DEPTH = 3  # JSON in a string in a string...: at most this deep


def expand_embedded_json(value, depth: int = 0) -> tuple[object, bool]:
    """``value`` with every string that holds a JSON object or array replaced by it (AWS SNS
    sends the alarm as JSON text in ``Message``); and whether any was."""
    if isinstance(value, dict):
        pairs = [(key, expand_embedded_json(item, depth)) for key, item in value.items()]
        return {key: item for key, (item, _) in pairs}, any(found for _, (_, found) in pairs)
    if isinstance(value, list):
        items = [expand_embedded_json(item, depth) for item in value]
        return [item for item, _ in items], any(found for _, found in items)
    if isinstance(value, str) and depth < EMBEDDED_JSON_DEPTH and value.lstrip()[:1] in ("{", "["):
        try:
            inner = json.loads(value)
        except (ValueError, RecursionError):
            return value, False
        if isinstance(inner, dict | list):
            return expand_embedded_json(inner, depth + 1)[0], True
    return value, False


def with_body_preview(
    events: QuerySet, limit: int = PREVIEW_BYTES, *, fields: tuple[str, ...] | None = None
) -> QuerySet:
    """Events with ``body_preview`` (the first ``limit`` bytes) and ``body_size``, not the body.

    ``fields``: load only these (plus the id) when the page shows no more of the event.
    """
    events = events.only(*fields) if fields is not None else events.defer("body")
    return events.annotate(
        body_preview=Substr("body", 1, limit, output_field=BinaryField()),
        body_size=Length("body"),
    )


def shown_body(event: WebhookEvent) -> ShownBody:
    """Pretty JSON when the (whole) body is JSON, else its text; never raises."""
    raw = bytes(event.body_preview or b"")
    size = event.body_size or 0
    text = raw.decode("utf-8", errors="replace")
    truncated = size > len(raw)
    if not truncated and text.strip():
        try:
            document, expanded = expand_embedded_json(json.loads(text))
            pretty = json.dumps(document, indent=2, ensure_ascii=False)
            pretty.encode("utf-8")  # lone surrogates ("\ud800" escapes) cannot be rendered
        except (ValueError, RecursionError, UnicodeEncodeError):
            pass
        else:
            return ShownBody(pretty, True, size, False, expanded)
    return ShownBody(text, False, size, truncated)


def prepare_events(events: list[WebhookEvent], *, headers: bool = False) -> list[WebhookEvent]:
    """Attach ``shown`` (the body to display) and, with ``headers``, ``header_items``."""
    for event in events:
        event.shown = shown_body(event)
        if headers:
            items = event.headers.items() if isinstance(event.headers, dict) else []
            event.header_items = sorted(items, key=lambda item: item[0].lower())
    return events


# --- pages -----------------------------------------------------------------------------------


class WebhookForm(forms.Form):
    """Create or edit a webhook: what ``POST`` and ``PUT /v1/webhook`` take (heartbeat aside)."""

    name = forms.CharField(
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "Where the alerts come from, e.g. Grafana"}),
    )
    description = forms.CharField(
        max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        required=False,
        empty_label="None (the organization's: admins manage it)",
        help_text="Its managers manage the webhook.",
    )
    max_events_per_minute = forms.IntegerField(
        label="Events per minute at most",
        min_value=1,
        max_value=MAX_EVENTS_PER_MINUTE,
        initial=DEFAULT_EVENTS_PER_MINUTE,
        required=False,
        help_text=f"Beyond, ingest answers 429 and stores nothing; empty: "
        f"{DEFAULT_EVENTS_PER_MINUTE}.",
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(organization=organization)

    def clean_max_events_per_minute(self) -> int:
        return self.cleaned_data["max_events_per_minute"] or DEFAULT_EVENTS_PER_MINUTE


GRACE_CHOICES = [
    ("86400", "keeps working for 24 hours"),
    ("3600", "keeps working for an hour"),
    ("604800", "keeps working for 7 days"),
    ("0", "stops working at once"),
]


class RotateForm(forms.Form):
    grace_seconds = forms.TypedChoiceField(
        label="The current URL", choices=GRACE_CHOICES, coerce=int, initial="86400"
    )


class HeartbeatForm(forms.Form):
    expect_every_seconds = forms.IntegerField(
        label="Expect an event every (seconds)",
        min_value=MIN_HEARTBEAT_SECONDS,
        max_value=MAX_HEARTBEAT_SECONDS,
    )
    grace_seconds = forms.IntegerField(
        label="Grace (seconds)", min_value=0, max_value=MAX_HEARTBEAT_SECONDS, initial=0
    )


class WebhookListView(OrganizationPageMixin, TemplateView):
    template_name = "webhooks/webhook_list.html"

    def get_context_data(self, form=None, **kwargs):
        last_event = WebhookEvent.objects.filter(webhook=OuterRef("pk")).order_by(
            "-received_at", "-id"
        )
        webhooks = (
            Webhook.objects.live()
            .filter(organization=self.organization)
            .annotate(last_received_at=Subquery(last_event.values("received_at")[:1]))
        )
        return super().get_context_data(
            nav="webhooks",
            webhooks=webhooks,
            form=form or WebhookForm(organization=self.organization),
            curl_body=CURL_BODY,
            **kwargs,
        )

    def post(self, request):
        form = WebhookForm(request.POST, organization=self.organization)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=422)
        webhook = services.create_webhook(self.organization, by=request.user, **form.cleaned_data)
        messages.success(request, f"Webhook {webhook} created: send alerts to its URL.")
        return redirect("webhook-detail", webhook_id=webhook.id)


def _cursor(request) -> tuple[datetime | None, uuid.UUID | None]:
    """``before`` (a received_at) and ``before_id`` of the next page; bad values are ignored."""
    before = parse_instant(request.GET.get("before", "")) if request.GET.get("before") else None
    before_id = parse_uuid(request.GET.get("before_id")) if before else None
    return before, before_id


class WebhookDetailView(OrganizationPageMixin, TemplateView):
    template_name = "webhooks/webhook_detail.html"

    def get_context_data(self, webhook_id, heartbeat_form=None, edit_form=None, **kwargs):
        webhook = self.get_in_organization(
            Webhook.objects.live().select_related("heartbeat_ruleset", "team"), webhook_id
        )
        if edit_form is None:
            edit_form = WebhookForm(
                organization=self.organization,
                initial={
                    "name": webhook.name,
                    "description": webhook.description,
                    "team": webhook.team_id,
                    "max_events_per_minute": webhook.max_events_per_minute,
                },
            )
        if heartbeat_form is None:
            heartbeat_form = HeartbeatForm(
                initial={
                    "expect_every_seconds": webhook.expect_every_seconds or 60,
                    "grace_seconds": webhook.grace_seconds,
                }
            )
        events = webhook.events.all()
        before, before_id = _cursor(self.request)
        if before is not None:
            # The `lte` bound lets the (webhook, -received_at, -id) index start at the cursor.
            older = Q(received_at__lt=before)
            if before_id is not None:
                older |= Q(received_at=before, id__lt=before_id)
            events = events.filter(older, received_at__lte=before)
        page = prepare_events(
            list(with_body_preview(events.order_by("-received_at", "-id"))[: EVENTS_PER_PAGE + 1]),
            headers=True,
        )
        has_more, page = len(page) > EVENTS_PER_PAGE, page[:EVENTS_PER_PAGE]
        self._attach_outcomes(page)
        older_url = None
        if has_more:
            last = page[-1]
            older_url = "?" + urlencode(
                {"before": last.received_at.isoformat(), "before_id": str(last.id)}
            )
        return super().get_context_data(
            nav="webhooks",
            webhook=webhook,
            heartbeat_form=heartbeat_form,
            edit_form=edit_form,
            rotate_form=RotateForm(),
            # Never rotated: no previous URL to look for.
            previous_urls=webhook.ingest_keys.filter(expires_at__gt=timezone.now()).order_by(
                "expires_at"
            )
            if webhook.ingest_key
            else [],
            events=page,
            older_url=older_url,
            paged=before is not None,
            curl_body=CURL_BODY,
            per_page=EVENTS_PER_PAGE,
            **kwargs,
        )

    def _attach_outcomes(self, events: list[WebhookEvent]) -> None:
        """``outcomes`` of each evaluated event, with the incident's name and whether its ruleset
        still exists, to be tested on the event (two queries in all)."""
        outcomes_of = {}
        for event in events:
            evaluation = event.evaluation if isinstance(event.evaluation, dict) else {}
            outcomes = [o for o in evaluation.get("rulesets") or [] if isinstance(o, dict)]
            outcomes_of[event.pk] = outcomes
            sns = evaluation.get("sns_subscription")
            event.sns = sns if isinstance(sns, dict) else None
        ids = {
            parse_uuid(o.get("incident_id"))
            for outcomes in outcomes_of.values()
            for o in outcomes
            if o.get("incident_id")
        } - {None}
        names = dict(
            Incident.objects.filter(pk__in=ids, organization=self.organization).values_list(
                "pk", "name"
            )
        )
        rulesets = {
            parse_uuid(o.get("ruleset_id")) for outcomes in outcomes_of.values() for o in outcomes
        } - {None}
        testable = set(
            Ruleset.objects.filter(pk__in=rulesets, organization=self.organization).values_list(
                "pk", flat=True
            )
        )
        for event in events:
            event.outcomes = [
                {
                    **o,
                    "incident_name": names.get(parse_uuid(o.get("incident_id"))),
                    "testable": parse_uuid(o.get("ruleset_id")) in testable,
                }
                for o in outcomes_of[event.pk]
            ]


class HeartbeatView(WebhookDetailView):
    """POST the heartbeat form: ``action`` save (set or change), pause, resume or off."""

    http_method_names = ["post"]

    def post(self, request, webhook_id):
        webhook = self.get_in_organization(Webhook.objects.live(), webhook_id)
        action = request.POST.get("action")
        form = HeartbeatForm(request.POST)
        if action == "save":
            if not form.is_valid():
                return self._invalid(webhook_id, form)
            changes = form.cleaned_data
            done = "Heartbeat saved: an incident opens when no event arrives in time."
        elif action in ("pause", "resume"):
            changes = {"heartbeat_paused": action == "pause"}
            done = f"Heartbeat {'paused' if action == 'pause' else 'resumed'}."
        elif action == "off":
            changes = {"expect_every_seconds": None}
            done = "Heartbeat switched off."
        else:
            return redirect("webhook-detail", webhook_id=webhook.pk)
        try:
            services.update_webhook(webhook, by=request.user, changes=changes)
        except ValidationError as exc:  # no team for the heartbeat's incident
            messages.error(request, " ".join(exc.messages))
            return self._invalid(webhook_id, form if action == "save" else None)
        messages.success(request, done)
        return redirect(f"{reverse('webhook-detail', args=[webhook.pk])}#heartbeat")

    def _invalid(self, webhook_id, form: HeartbeatForm | None):
        context = self.get_context_data(webhook_id=webhook_id, heartbeat_form=form)
        return self.render_to_response(context, status=422)


class WebhookEditView(WebhookDetailView):
    """POST the webhook's name, description and team."""

    http_method_names = ["post"]

    def post(self, request, webhook_id):
        webhook = self.get_in_organization(Webhook.objects.live(), webhook_id)
        form = WebhookForm(request.POST, organization=self.organization)
        if form.is_valid():
            try:
                services.update_webhook(webhook, by=request.user, changes=form.cleaned_data)
            except ValidationError as exc:  # a heartbeat needs a team
                form.add_error("team", exc.messages)
            else:
                messages.success(request, f"Webhook {form.cleaned_data['name']} saved.")
                return redirect("webhook-detail", webhook_id=webhook.pk)
        context = self.get_context_data(webhook_id=webhook_id, edit_form=form)
        return self.render_to_response(context, status=422)


class WebhookRotateView(OrganizationPageMixin, View):
    """POST: a new ingest URL; the current one keeps working as long as chosen."""

    def post(self, request, webhook_id):
        webhook = self.get_in_organization(Webhook.objects.live(), webhook_id)
        form = RotateForm(request.POST)
        grace = form.cleaned_data["grace_seconds"] if form.is_valid() else 86400
        until = services.rotate_ingest_url(webhook, by=request.user, grace=timedelta(seconds=grace))
        messages.success(
            request,
            f"New ingest URL; the previous one works until {until:%Y-%m-%d %H:%M} UTC: "
            "update your monitoring systems.",
        )
        return redirect("webhook-detail", webhook_id=webhook.pk)


class WebhookDeleteView(OrganizationPageMixin, View):
    """GET asks for confirmation, POST deletes (ingest then answers 404; events stay)."""

    def get(self, request, webhook_id):
        return self.confirm(self.get_in_organization(Webhook.objects.live(), webhook_id))

    def post(self, request, webhook_id):
        webhook = self.get_in_organization(Webhook.objects.live(), webhook_id)
        try:
            services.delete_webhook(webhook, by=request.user)
        except Conflict as exc:
            return self.confirm(webhook, blocked=exc, status=409)
        messages.success(request, f"Webhook {webhook} deleted: its URLs no longer accept events.")
        return redirect("webhook-list")

    def confirm(self, webhook: Webhook, *, blocked: Conflict | None = None, status: int = 200):
        context = {"nav": "webhooks", "webhook": webhook, "blocked": blocked}
        return render(self.request, "webhooks/webhook_confirm_delete.html", context, status=status)
