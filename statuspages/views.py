"""Status pages: managed by signed-in users, and the public page anyone with its link can read."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from incidents.models import IncidentStatus
from maintenance import services as maintenance
from pinghome.api import Conflict, parse_uuid
from pinghome.pages import OrganizationPageMixin
from statuspages import services
from statuspages.forms import NameForm
from statuspages.models import Component, ComponentHold, ComponentStatus, StatusPage

HEADLINES = {
    ComponentStatus.OPERATIONAL: "All systems operational",
    ComponentStatus.DEGRADED: "Degraded performance",
    ComponentStatus.PARTIAL_OUTAGE: "Partial outage",
    ComponentStatus.MAJOR_OUTAGE: "Major outage",
}


class StatusPageListView(OrganizationPageMixin, TemplateView):
    template_name = "statuspages/statuspage_list.html"

    def get_context_data(self, form=None, invalid_component=None, **kwargs):
        pages = list(
            StatusPage.objects.filter(organization=self.organization).prefetch_related("components")
        )
        for page in pages:
            page.component_form = NameForm(auto_id=f"id_component_%s_{page.pk}")
            if invalid_component is not None and invalid_component[0] == page.pk:
                page.component_form = invalid_component[1]
        return super().get_context_data(
            nav="statuspages", pages=pages, form=form or NameForm(), **kwargs
        )

    def post(self, request):
        form = NameForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=422)
        page = services.create_status_page(
            self.organization, by=request.user, name=form.cleaned_data["name"]
        )
        messages.success(request, f"Status page {page.name} created; add its components.")
        return redirect(f"{request.path}#page-{page.pk}")


class ComponentCreateView(StatusPageListView):
    """POST a component name to a status page; errors are shown on the list, by that page."""

    http_method_names = ["post"]

    def post(self, request, status_page_id):
        page = self.get_in_organization(StatusPage.objects, status_page_id)
        form = NameForm(request.POST, auto_id=f"id_component_%s_{page.pk}")
        if not form.is_valid():
            return self.render_to_response(
                self.get_context_data(invalid_component=(page.pk, form)), status=422
            )
        component = services.add_component(page, by=request.user, name=form.cleaned_data["name"])
        messages.success(request, f"Component {component.name} added to {page.name}.")
        return redirect(reverse("statuspage-list") + f"#page-{page.pk}")


class ChangeView(OrganizationPageMixin, View):
    """POST ``rename`` (with a name) or ``delete`` for a status page, or one of its components
    (``component_id``); a refusal (a ruleset names the component) is told on the list."""

    def post(self, request, status_page_id, action, component_id=None):
        page = self.get_in_organization(StatusPage.objects, status_page_id)
        target = page
        if component_id is not None:
            target = self.get_in_organization(
                Component.objects.filter(status_page=page).select_related("status_page"),
                component_id,
                field="status_page__organization",
            )
        rename, delete = (
            (services.rename_status_page, services.delete_status_page)
            if target is page
            else (services.rename_component, services.delete_component)
        )
        label = target.name
        if action == "rename":
            form = NameForm(request.POST)
            if not form.is_valid():
                messages.error(request, "A name is needed (at most 200 characters).")
            else:
                rename(target, by=request.user, name=form.cleaned_data["name"])
                messages.success(request, f"{label} renamed {target.name}.")
        elif action == "delete":
            try:
                delete(target, by=request.user)
            except Conflict as exc:
                names = ", ".join(exc.errors.get("rulesets", []))
                messages.error(request, f"{label} not deleted: {exc.detail} ({names})")
            else:
                messages.success(request, f"{label} deleted.")
        else:
            raise Http404
        anchor = f"#page-{page.pk}" if action == "rename" or target is not page else ""
        return redirect(reverse("statuspage-list") + anchor)


class PublicStatusPageView(TemplateView):
    """No sign-in: components and the unresolved incidents holding them, nothing internal."""

    template_name = "statuspages/statuspage_public.html"

    def get_context_data(self, status_page_id, **kwargs):
        page_id = parse_uuid(status_page_id)
        page = StatusPage.objects.filter(pk=page_id).first() if page_id else None
        if page is None:
            raise Http404
        components = list(page.components.all())
        holds = (
            ComponentHold.objects.filter(
                component__status_page=page, incident__organization_id=page.organization_id
            )
            .exclude(incident__status=IncidentStatus.RESOLVED)
            .select_related("incident", "component")
            .order_by("-incident__created_at", "incident_id", "component__name")
        )
        # Plain values only: nothing else of the incident can reach the public template.
        incidents: dict = {}
        for hold in holds:
            shown = incidents.setdefault(
                hold.incident_id,
                {
                    "name": hold.incident.name,
                    "urgency": hold.incident.urgency,
                    "since": hold.incident.created_at,
                    "components": [],
                },
            )
            shown["components"].append(hold.component.name)
        overall = max(
            (c.status for c in components),
            key=ComponentStatus.severity,
            default=ComponentStatus.OPERATIONAL,
        )
        return super().get_context_data(
            public_page=True,
            page=page,
            components=components,
            maintenance=maintenance.announced(page, components),
            incidents=list(incidents.values()),
            overall=overall,
            headline=HEADLINES[ComponentStatus(overall)],
            **kwargs,
        )
