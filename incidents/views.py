"""Responder pages: the incident list and an incident's detail, with acknowledge and resolve."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber
from django.http import Http404, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import TemplateView

from accounts.models import Team, TeamMember, User
from escalation import services as escalation
from incidents import listing, services
from incidents.api.serializers import MergeSerializer, NoteSerializer
from incidents.assignees import check_assignees
from incidents.filters import IncidentFilterSet
from incidents.forms import IncidentEditForm, assignee_value
from incidents.models import (
    AssigneeType,
    Incident,
    IncidentAction,
    IncidentEvent,
    IncidentStatus,
    SavedFilter,
    TimelineEntry,
    TimelineKind,
)
from pinghome import live
from pinghome.api import flatten_errors, parse_uuid
from pinghome.pages import OrganizationPageMixin
from statuspages.models import Component, ComponentHold
from webhooks.models import WebhookEvent
from webhooks.pages import prepare_events, with_body_preview

TIMELINE_CAP = 500
TIMELINE_PREVIEW_BYTES = 4 * 1024
EVENTS_SHOWN = 50


def assignee_labels(incidents: list[Incident]) -> dict[str, str]:
    """Display names of every assignee of these incidents, in two queries."""
    ids = {kind: set() for kind in AssigneeType.values}
    for incident in incidents:
        for assignee in incident.assignees:
            ids.get(assignee.get("type"), set()).add(assignee.get("id"))
    labels = {
        str(pk): name
        for pk, name in Team.objects.filter(pk__in=ids[AssigneeType.TEAM]).values_list("pk", "name")
    }
    for pk, email, name in TeamMember.objects.filter(
        pk__in=ids[AssigneeType.TEAM_MEMBER]
    ).values_list("pk", "user__email", "user__name"):
        labels[str(pk)] = name or email
    return labels


def with_assignee_names(incidents: list[Incident]) -> list[Incident]:
    labels = assignee_labels(incidents)
    for incident in incidents:
        incident.assignee_names = [labels.get(a.get("id"), "unknown") for a in incident.assignees]
    return incidents


class IncidentListView(OrganizationPageMixin, TemplateView):
    """Every incident of the organization, unresolved first, a page at a time: search, filters,
    sort, a selection to acknowledge or resolve at once; updated live by app.js from its
    ``?part=list`` fragment (pinghome/live.py)."""

    template_name = "incidents/incident_list.html"
    PARTS = {"list": "incidents/_list_part.html"}

    def get(self, request, *args, **kwargs):
        parts = live.requested(request, self.PARTS)
        if parts:
            return live.render_parts(
                request, [self.PARTS[name] for name in parts], self.list_context()
            )
        return super().get(request, *args, **kwargs)

    def list_context(self) -> dict:
        """What the live region shows: a page of incidents and the counts."""
        params = self.params()
        queryset = (
            Incident.objects.filter(organization=self.organization)
            .select_related("team")
            .defer("description")
        )
        filterset = IncidentFilterSet(params or None, queryset, request=self.request)
        sort = params.get("sort") if params.get("sort") in listing.SORTS else listing.DEFAULT_SORT
        found = listing.page(filterset.qs, sort=sort, cursor=params.get("after"))
        next_query = params.copy()
        next_query["after"] = found.next_cursor or ""
        return {
            "filterset": filterset,
            "sort": sort,
            "incidents": with_responders(with_assignee_names(found.incidents)),
            "next_url": f"?{next_query.urlencode()}" if found.next_cursor else "",
            "first_url": self._first_page_url() if params.get("after") else "",
            "counts": Incident.objects.filter(
                organization=self.organization, status__in=listing.OPEN
            ).aggregate(
                open=Count("pk"), triggered=Count("pk", filter=Q(status=IncidentStatus.TRIGGERED))
            ),
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            nav="incidents",
            sorts=listing.SORTS,
            bulk_max=services.BULK_MAX,
            saved_filters=self.request.user.saved_filters.order_by("name"),
            current_query=self._first_page_url()[1:],
            page_path=live.page_path(self.request),
            **self.list_context(),
            **kwargs,
        )

    def params(self) -> QueryDict:
        """The page's query: filters, sort and cursor (not the live ``part`` asked for)."""
        params = self.request.GET.copy()
        params.pop(live.PARAM, None)
        return params

    def _first_page_url(self) -> str:
        query = self.params()
        query.pop("after", None)
        return f"?{query.urlencode()}"


class SavedFilterForm(forms.Form):
    name = forms.CharField(max_length=60)
    query = forms.CharField(max_length=2000, required=False)


class SavedFilterSaveView(OrganizationPageMixin, View):
    """POST the list's current filters and sort under a name of the signed-in person's."""

    def post(self, request):
        form = SavedFilterForm(request.POST)
        if not form.is_valid():
            messages.error(
                request, "The filter was not saved: give it a name of 60 characters at most."
            )
            return redirect("incident-list")
        try:
            saved = services.save_filter(
                request.user,
                name=form.cleaned_data["name"],
                query=QueryDict(form.cleaned_data["query"]),
            )
        except ValidationError as exc:
            messages.error(request, "The filter was not saved: " + "; ".join(exc.messages))
            return redirect("incident-list")
        messages.success(request, f"Saved as “{saved.name}”.")
        return redirect(f"{reverse('incident-list')}?{saved.query}")


class SavedFilterDeleteView(OrganizationPageMixin, View):
    def post(self, request, filter_id):
        deleted, _ = SavedFilter.objects.filter(
            user=request.user, pk=parse_uuid(filter_id)
        ).delete()
        if not deleted:
            raise Http404
        messages.success(request, "Saved filter deleted.")
        return redirect("incident-list")


def with_responders(incidents: list[Incident]) -> list[Incident]:
    """``acknowledged_by`` (who acknowledged it) and ``escalated_to`` (whom its escalation paged
    last, while it is triggered) of each incident, from their timelines: two queries. The latest
    entry of each kind is picked with a window function, which SQLite has too (DISTINCT ON is
    PostgreSQL's only)."""
    latest = (
        TimelineEntry.objects.filter(
            incident__in=[incident.pk for incident in incidents],
            kind__in=[TimelineKind.ACKNOWLEDGED, TimelineKind.ESCALATED],
        )
        .annotate(
            newest=Window(
                RowNumber(),
                partition_by=[F("incident_id"), F("kind")],
                order_by=[F("created_at").desc(), F("id").desc()],
            )
        )
        .filter(newest=1)
        .values_list("incident_id", "kind", "actor", "actor_user_id", "data")
    )
    found = {(incident_id, kind): rest for incident_id, kind, *rest in latest} if incidents else {}
    user_ids = {actor_user_id for _, actor_user_id, _ in found.values() if actor_user_id}
    for _, _, data in found.values():
        if isinstance(data, dict) and isinstance(data.get("user_ids"), list):
            user_ids.update(parse_uuid(pk) for pk in data["user_ids"][:20])
    user_ids.discard(None)
    names = {
        pk: name or email
        for pk, name, email in User.objects.filter(pk__in=user_ids).values_list(
            "pk", "name", "email"
        )
    }
    for incident in incidents:
        actor, actor_user_id, _ = found.get((incident.pk, TimelineKind.ACKNOWLEDGED), (None,) * 3)
        incident.acknowledged_by = (
            names.get(actor_user_id, actor) if incident.acknowledged_at else None
        )
        _, _, data = found.get((incident.pk, TimelineKind.ESCALATED), (None, None, {}))
        paged = data.get("user_ids", [])[:20] if isinstance(data, dict) else []
        incident.escalated_to = (
            [names[pk] for pk in map(parse_uuid, paged) if pk in names]
            if incident.status == IncidentStatus.TRIGGERED and isinstance(paged, list)
            else []
        )
    return incidents


class IncidentBulkView(OrganizationPageMixin, View):
    """POST acknowledge / resolve for the incidents selected on the list, then back to it."""

    def post(self, request):
        transition = request.POST.get("action", "")
        ids = [parse_uuid(pk) for pk in request.POST.getlist("incident_id")[: services.BULK_MAX]]
        if transition not in services.BULK_TRANSITIONS:
            messages.error(request, "Choose what to do with the selected incidents.")
        elif not any(ids):
            messages.error(request, "Select one or more incidents first.")
        else:
            selected = Incident.objects.filter(
                organization=self.organization, pk__in=[pk for pk in ids if pk]
            ).order_by("pk")
            moved = services.transition_many(selected, transition, by=request.user)
            done = {
                "acknowledge": "acknowledged",
                "resolve": "resolved",
                "snooze": "snoozed for an hour",
            }[transition]
            messages.success(request, f"{moved} of {len(ids)} selected incidents {done}.")
        return live.redirect_back(request, next_page(request))


def next_page(request) -> str:
    """Where the form came from (``next``), if it is of this site; else the list."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return "/"
    return target


class IncidentTransitionView(OrganizationPageMixin, View):
    """POST acknowledge / resolve / escalate (its next escalation step now), then back to where
    the responder was."""

    def post(self, request, incident_id, transition):
        incident = self.get_in_organization(Incident.objects, incident_id)
        action = {
            "acknowledge": services.acknowledge,
            "resolve": services.resolve,
            "escalate": escalation.escalate_now,
        }.get(transition)
        if action is None:
            return redirect("incident-list")
        try:
            moved = action(incident, by=request.user)
        except (services.TransitionError, escalation.CannotEscalate) as exc:
            messages.error(request, str(exc))
        else:
            if transition == "escalate":
                messages.success(request, f"{incident.name}: escalated.")
            elif moved:
                messages.success(request, f"{incident.name}: {incident.status}.")
        return live.redirect_back(request, next_page(request))


class IncidentNoteView(OrganizationPageMixin, View):
    """POST a note from the incident's page (what POST /v1/incident/{id}/note takes)."""

    def post(self, request, incident_id):
        incident = self.get_in_organization(Incident.objects, incident_id)
        body = NoteSerializer(data={"text": request.POST.get("text", "")})
        if body.is_valid():
            services.add_note(incident, by=request.user, text=body.validated_data["text"])
            messages.success(request, "Note added.")
        else:
            messages.error(request, "The note was not added: " + error_text(body.errors))
        return live.redirect_back(
            request, reverse("incident-detail", args=[incident.pk]) + "#timeline"
        )


class IncidentRespondersView(OrganizationPageMixin, View):
    """POST one person or team to add to the incident's assignees (``mode=add``, paged at once)
    or to replace them all with (``mode=reassign``)."""

    def post(self, request, incident_id):
        incident = self.get_in_organization(Incident.objects, incident_id)
        kind, _, pk = request.POST.get("assignee", "").partition(":")
        chosen = {"type": kind, "id": str(parse_uuid(pk))}
        valid = kind in AssigneeType.values and parse_uuid(pk) is not None
        if not valid or check_assignees([chosen], self.organization):
            messages.error(request, "Choose a person or team of your organization.")
        else:
            mode = request.POST.get("mode")
            assignees = [chosen] if mode == "reassign" else [*incident.assignees, chosen]
            unique = list({(a.get("type"), a.get("id")): a for a in assignees}.values())
            services.update_incident(incident, by=request.user, changes={"assignees": unique})
            messages.success(request, "Reassigned." if mode == "reassign" else "Responder added.")
        return live.redirect_back(request, reverse("incident-detail", args=[incident.pk]))


class IncidentMergeView(OrganizationPageMixin, View):
    """POST the duplicates ticked on the incident's page to merge into it."""

    def post(self, request, incident_id):
        incident = self.get_in_organization(Incident.objects, incident_id)
        body = MergeSerializer(
            data={"incident_ids": request.POST.getlist("incident_id")},
            context={"organization": self.organization, "target": incident},
        )
        if incident.is_resolved:
            messages.error(request, "A resolved incident cannot take others in.")
        elif not body.is_valid():
            messages.error(request, "Nothing was merged: " + error_text(body.errors))
        else:
            try:
                services.merge_incidents(
                    incident, body.validated_data["incident_ids"], by=request.user
                )
            except services.MergeError as exc:
                messages.error(request, f"Nothing was merged: {exc}.")
            else:
                count = len(body.validated_data["incident_ids"])
                messages.success(request, f"Merged {count} incident(s) into this one.")
        return live.redirect_back(request, reverse("incident-detail", args=[incident.pk]))


def error_text(errors) -> str:
    """A serializer's errors as one sentence for a page's message."""
    return "; ".join(
        f"{path}: {', '.join(reasons)}" for path, reasons in flatten_errors(errors).items()
    )


MERGE_CANDIDATES = 50


class IncidentDetailView(OrganizationPageMixin, TemplateView):
    """Everything about one incident, and the form that edits it: a bounded number of queries.
    ``?part=`` answers only the regions named (pinghome/live.py), each computing only what it
    shows: the live refresh of the summary and the timeline, and what a form sent by app.js
    changed."""

    template_name = "incidents/incident_detail.html"
    PARTS = {
        "summary": "incidents/_summary.html",
        "responders": "incidents/_responders.html",
        "escalation": "incidents/_escalation.html",
        "edit": "incidents/_edit.html",
        "merge": "incidents/_merge.html",
        "timeline": "incidents/_timeline.html",
        "status": "incidents/_status.html",
    }
    NEED_FORM = {"summary", "responders", "edit"}

    def get_incident(self, incident_id) -> Incident:
        return self.get_in_organization(
            Incident.objects.select_related("team", "ruleset", "merged_into"), incident_id
        )

    def get(self, request, incident_id):
        incident = self.get_incident(incident_id)
        parts = live.requested(request, self.PARTS)
        if parts:
            form = (
                IncidentEditForm(organization=self.organization, incident=incident)
                if self.NEED_FORM.intersection(parts)
                else None
            )
            return live.render_parts(
                request,
                [self.PARTS[name] for name in parts],
                {"incident": incident, **self.parts_context(incident, form, parts)},
            )
        form = IncidentEditForm(organization=self.organization, incident=incident)
        return self.render_to_response(self.get_context_data(incident=incident, form=form))

    def post(self, request, incident_id):
        incident = self.get_incident(incident_id)
        form = IncidentEditForm(request.POST, organization=self.organization, incident=incident)
        if not form.is_valid():
            messages.error(request, "The incident was not saved: see the errors below.")
            return self.render_to_response(
                self.get_context_data(incident=incident, form=form), status=422
            )
        services.update_incident(incident, by=request.user, changes=form.changes)
        messages.success(request, "Incident saved.")
        return redirect("incident-detail", incident_id=incident.pk)

    def parts_context(self, incident: Incident, form: IncidentEditForm | None, parts) -> dict:
        """What the regions ``parts`` show, and nothing more."""
        context: dict = {"form": form}
        if "summary" in parts:
            labels = form.assignee_labels()
            context["assignees"] = [
                labels.get(assignee_value(a), "unknown (no longer in the organization)")
                for a in incident.assignees
            ]
            with_responders([incident])
        if "responders" in parts:
            context["responder_choices"] = form.fields["assignees"].choices
            context["merged"] = incident.merged.only("name", "resolved_at").order_by("-resolved_at")
        if "escalation" in parts:
            context["escalation"] = escalation.progress(incident)
        if "merge" in parts:
            context["merge_candidates"] = (
                []
                if incident.is_resolved
                else Incident.objects.filter(
                    organization=incident.organization_id, status__in=listing.OPEN
                )
                .exclude(pk=incident.pk)
                .select_related("team")
                .only("name", "created_at", "dedup_key", "team__name")
                .order_by("-created_at", "-id")[:MERGE_CANDIDATES]
            )
        if "timeline" in parts:
            context["timeline"], context["timeline_capped"] = latest_timeline(incident)
        return context

    def get_context_data(self, *, incident: Incident, form: IncidentEditForm, **kwargs):
        attached = prepare_events(
            list(
                with_body_preview(
                    # The latest links by id (attachment order) first: sorting every attached
                    # event by received_at would read them all on a long-lived incident.
                    WebhookEvent.objects.filter(
                        pk__in=IncidentEvent.objects.filter(incident=incident)
                        .order_by("-id")
                        .values("event_id")[:EVENTS_SHOWN]
                    )
                    .select_related("webhook")
                    .order_by("-received_at", "-id"),
                    fields=("received_at", "content_type", "ip", "webhook__name"),
                )[:EVENTS_SHOWN]
            )
        )
        actions = list(incident.actions.all())
        return super().get_context_data(
            nav="incidents",
            incident=incident,
            latest_event=attached[0] if attached else None,
            **self.parts_context(incident, form, set(self.PARTS)),
            events=attached,
            actions=with_component_names(actions, incident.organization_id),
            holds=ComponentHold.objects.filter(incident=incident)
            .select_related("component__status_page")
            .order_by("component__status_page__name", "component__name"),
            **kwargs,
        )


def latest_timeline(incident: Incident) -> tuple[list[TimelineEntry], bool]:
    """The latest TIMELINE_CAP entries, newest first, with the events they reference folded in,
    and whether older entries were left out. Two queries whatever the length (no COUNT: on a
    long timeline it would cost more than the page).
    """
    entries = list(
        incident.timeline.select_related("actor_user").order_by("-created_at", "-id")[
            : TIMELINE_CAP + 1
        ]
    )
    capped, entries = len(entries) > TIMELINE_CAP, entries[:TIMELINE_CAP]
    for entry in entries:
        data = entry.data if isinstance(entry.data, dict) else {}
        entry.referenced_event_id = (
            parse_uuid(data.get("event_id")) if data.get("event_id") else None
        )
    wanted = {entry.referenced_event_id for entry in entries} - {None}
    events = WebhookEvent.objects.filter(
        pk__in=wanted, webhook__organization_id=incident.organization_id
    )
    shown = {
        event.pk: event
        for event in prepare_events(
            list(
                with_body_preview(
                    events, TIMELINE_PREVIEW_BYTES, fields=("webhook_id", "content_type")
                )
            )
            if wanted
            else []
        )
    }
    for entry in entries:
        entry.event = shown.get(entry.referenced_event_id)
    return entries, capped


def with_component_names(actions: list[IncidentAction], organization_id) -> list[IncidentAction]:
    """``targets`` of each action: the components its settings name (one query for all)."""
    wanted = {
        parse_uuid(item.get("component_id"))
        for action in actions
        for item in action.settings or []
        if isinstance(item, dict)
    }
    wanted.discard(None)
    names = (
        {
            pk: f"{page} / {name}"
            for pk, name, page in Component.objects.filter(
                pk__in=wanted, status_page__organization_id=organization_id
            ).values_list("pk", "name", "status_page__name")
        }
        if wanted
        else {}
    )
    for action in actions:
        action.targets = [
            names.get(parse_uuid(item.get("component_id")), "a removed component")
            for item in action.settings or []
            if isinstance(item, dict) and item.get("component_id")
        ]
    return actions
