"""Status pages: managed by signed-in users, and the public page anyone with its link can read."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.syndication.views import Feed
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.feedgenerator import Atom1Feed
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import TemplateView

from incidents.models import Incident
from maintenance import services as maintenance
from pinghome import live, ratelimit
from pinghome.api import Conflict, parse_uuid
from pinghome.client_ip import client_ip
from pinghome.pages import OrganizationPageMixin
from statuspages import services, subscriptions, uptime
from statuspages.forms import (
    ComponentForm,
    ManualStatusForm,
    NameForm,
    NoticeForm,
    NoticeUpdateForm,
    SubscribeForm,
)
from statuspages.models import (
    Component,
    ComponentStatus,
    Notice,
    NoticeStatus,
    NoticeUpdate,
    StatusPage,
)

HEADLINES = {
    ComponentStatus.OPERATIONAL: "All systems operational",
    ComponentStatus.DEGRADED: "Degraded performance",
    ComponentStatus.PARTIAL_OUTAGE: "Partial outage",
    ComponentStatus.MAJOR_OUTAGE: "Major outage",
}
PAST_NOTICES_DAYS, PAST_NOTICES_SHOWN, FEED_ENTRIES = 14, 10, 50
SUBSCRIBE_LIMIT, SUBSCRIBE_WINDOW = 10, 3600  # subscriptions asked per address and hour


class StatusPageListView(OrganizationPageMixin, TemplateView):
    template_name = "statuspages/statuspage_list.html"

    def get_context_data(self, form=None, invalid_component=None, **kwargs):
        pages = list(
            StatusPage.objects.filter(organization=self.organization).prefetch_related("components")
        )
        open_notices: dict = {}
        for notice in (
            Notice.objects.filter(status_page__in=pages)
            .exclude(status=NoticeStatus.RESOLVED)
            .prefetch_related("updates")
        ):
            open_notices.setdefault(notice.status_page_id, []).append(notice)
        for page in pages:
            page.component_form = ComponentForm(auto_id=f"id_component_%s_{page.pk}")
            if invalid_component is not None and invalid_component[0] == page.pk:
                page.component_form = invalid_component[1]
            page.notice_form = NoticeForm(page=page, auto_id=f"id_notice_%s_{page.pk}")
            page.open_notices = open_notices.get(page.pk, [])
        return super().get_context_data(
            nav="statuspages",
            pages=pages,
            form=form or NameForm(),
            statuses=ComponentStatus.choices,
            update_form=NoticeUpdateForm(auto_id=False),
            **kwargs,
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
    """POST a component to a status page; errors are shown on the list, by that page."""

    http_method_names = ["post"]

    def post(self, request, status_page_id):
        page = self.get_in_organization(StatusPage.objects, status_page_id)
        form = ComponentForm(request.POST, auto_id=f"id_component_%s_{page.pk}")
        if not form.is_valid():
            return self.render_to_response(
                self.get_context_data(invalid_component=(page.pk, form)), status=422
            )
        component = services.add_component(page, by=request.user, **form.cleaned_data)
        messages.success(request, f"Component {component.name} added to {page.name}.")
        return redirect(reverse("statuspage-list") + f"#page-{page.pk}")


def form_errors(form) -> str:
    return "; ".join(
        f"{form.fields[name].label or name.replace('_', ' ').capitalize()}: {' '.join(errors)}"
        if name in form.fields
        else " ".join(errors)
        for name, errors in form.errors.items()
    )


class ChangeView(OrganizationPageMixin, View):
    """POST ``rename`` (with a name) or ``delete`` for a status page; ``edit``, ``status`` (its
    manual status) or ``delete`` for one of its components (``component_id``). A refusal (a
    ruleset names the component) is told on the list."""

    def post(self, request, status_page_id, action, component_id=None):
        page = self.get_in_organization(StatusPage.objects, status_page_id)
        target = page
        if component_id is not None:
            target = self.get_in_organization(
                Component.objects.filter(status_page=page).select_related("status_page"),
                component_id,
                field="status_page__organization",
            )
        label = target.name
        if action == "rename" and target is page:
            form = NameForm(request.POST)
            if not form.is_valid():
                messages.error(request, "A name is needed (at most 200 characters).")
            else:
                services.rename_status_page(page, by=request.user, name=form.cleaned_data["name"])
                messages.success(request, f"{label} renamed {page.name}.")
        elif action in ("edit", "status") and target is not page:
            form = (ComponentForm if action == "edit" else ManualStatusForm)(request.POST)
            if not form.is_valid():
                messages.error(request, f"{label} not changed: {form_errors(form)}")
            else:
                services.update_component(target, by=request.user, **form.cleaned_data)
                messages.success(request, f"{target.name} changed.")
        elif action == "delete":
            delete = services.delete_status_page if target is page else services.delete_component
            try:
                delete(target, by=request.user)
            except Conflict as exc:
                names = ", ".join(exc.errors.get("rulesets", []))
                messages.error(request, f"{label} not deleted: {exc.detail} ({names})")
            else:
                messages.success(request, f"{label} deleted.")
        else:
            raise Http404
        anchor = f"#page-{page.pk}" if action != "delete" or target is not page else ""
        return redirect(reverse("statuspage-list") + anchor)


def back_to(request, default: str) -> str:
    """The ``next`` field when it is a path of this site, else ``default``."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


class NoticeCreateView(OrganizationPageMixin, View):
    """POST a new notice on a status page, from the list or an incident's page (``incident``)."""

    def post(self, request, status_page_id):
        page = self.get_in_organization(StatusPage.objects, status_page_id)
        incident = None
        if request.POST.get("incident"):
            incident = self.get_in_organization(Incident.objects, request.POST["incident"])
        form = NoticeForm(request.POST, page=page)
        if not form.is_valid():
            messages.error(request, f"Nothing posted: {form_errors(form)}")
        else:
            data = form.cleaned_data
            services.post_notice(
                page,
                by=request.user,
                title=data["title"],
                status=data["status"],
                message=data["message"],
                component_ids=data["components"],
                incident=incident,
            )
            messages.success(request, f"Posted to {page.name}: {data['status']}.")
        return live.redirect_back(
            request, back_to(request, reverse("statuspage-list") + f"#page-{page.pk}")
        )


class NoticeUpdateCreateView(OrganizationPageMixin, View):
    def post(self, request, status_page_id, notice_id):
        page = self.get_in_organization(StatusPage.objects, status_page_id)
        notice = self.get_in_organization(
            Notice.objects.filter(status_page=page), notice_id, field="status_page__organization"
        )
        form = NoticeUpdateForm(request.POST)
        if not form.is_valid():
            messages.error(request, f"Nothing posted: {form_errors(form)}")
        else:
            try:
                services.post_notice_update(notice, by=request.user, **form.cleaned_data)
            except Conflict as exc:
                messages.error(request, f"Nothing posted: {exc.detail}")
            else:
                messages.success(request, f"Posted to {page.name}: {form.cleaned_data['status']}.")
        return live.redirect_back(
            request, back_to(request, reverse("statuspage-list") + f"#page-{page.pk}")
        )


def public_page(status_page_id) -> StatusPage:
    page_id = parse_uuid(status_page_id)
    page = StatusPage.objects.filter(pk=page_id).first() if page_id else None
    if page is None:
        raise Http404
    return page


class PublicStatusPageView(TemplateView):
    """No sign-in: what the organization chose to publish (public names and descriptions of the
    components, their status and history, written notices, announced maintenance), never an
    incident's own name or anything else internal."""

    template_name = "statuspages/statuspage_public.html"

    def get_context_data(self, status_page_id, **kwargs):
        page = public_page(status_page_id)
        now = timezone.now()
        components = list(page.components.order_by("public_name", "pk"))
        histories = uptime.histories(components, now)
        for component in components:
            component.history = histories[component.pk]
        # Open notices and those resolved lately, in one query: written by people, they are few.
        notices = list(
            page.notices.filter(
                ~Q(status=NoticeStatus.RESOLVED)
                | Q(resolved_at__gte=now - timedelta(days=PAST_NOTICES_DAYS))
            ).prefetch_related("updates", "components")
        )
        overall = max(
            (c.status for c in components),
            key=ComponentStatus.severity,
            default=ComponentStatus.OPERATIONAL,
        )
        return super().get_context_data(
            public_page=True,
            page=page,
            components=components,
            history_days=uptime.HISTORY_DAYS,
            maintenance=maintenance.announced(page, components, now),
            ongoing=[n for n in notices if n.status != NoticeStatus.RESOLVED],
            past=[n for n in notices if n.status == NoticeStatus.RESOLVED][:PAST_NOTICES_SHOWN],
            past_days=PAST_NOTICES_DAYS,
            subscribe_form=SubscribeForm(),
            overall=overall,
            headline=HEADLINES[ComponentStatus(overall)],
            **kwargs,
        )


class NoticeFeed(Feed):
    """Atom: the latest updates of a status page's notices (Django's syndication framework)."""

    feed_type = Atom1Feed

    def get_object(self, request, status_page_id):
        return public_page(status_page_id)

    def title(self, page: StatusPage) -> str:
        return f"{page.name} status"

    def link(self, page: StatusPage) -> str:
        return reverse("statuspage-public", args=[page.pk])

    def subtitle(self, page: StatusPage) -> str:
        return f"Notices and their updates on the {page.name} status page."

    def items(self, page: StatusPage):
        return (
            NoticeUpdate.objects.filter(notice__status_page=page)
            .select_related("notice")
            .order_by("-created_at", "-id")[:FEED_ENTRIES]
        )

    def item_title(self, update: NoticeUpdate) -> str:
        return f"{update.notice.title}: {update.get_status_display()}"

    def item_description(self, update: NoticeUpdate) -> str:
        return update.message

    def item_link(self, update: NoticeUpdate) -> str:
        return reverse("statuspage-public", args=[update.notice.status_page_id]) + (
            f"#notice-{update.notice_id}"
        )

    def item_guid(self, update: NoticeUpdate) -> str:
        return f"urn:uuid:{update.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, update: NoticeUpdate):
        return update.created_at

    def item_updateddate(self, update: NoticeUpdate):
        return update.created_at


class SubscriptionPage(TemplateView):
    """The public pages of e-mail subscriptions: a message, and a button when one is needed
    (links are opened by mail scanners: only the button acts)."""

    template_name = "statuspages/subscription.html"

    def page(self, status_page_id) -> StatusPage:
        return public_page(status_page_id)

    def show(self, page: StatusPage, message: str, *, button: str = "", status: int = 200):
        context = self.get_context_data(public_page=True, page=page, message=message, button=button)
        return self.render_to_response(context, status=status)


class SubscribeView(SubscriptionPage):
    http_method_names = ["post"]

    def post(self, request, status_page_id):
        page = self.page(status_page_id)
        form = SubscribeForm(request.POST)
        if not form.is_valid():
            return self.show(page, "Enter a valid e-mail address.", status=422)
        limited = ratelimit.hit(
            f"subscribe:{client_ip(request.META)}", limit=SUBSCRIBE_LIMIT, window=SUBSCRIBE_WINDOW
        )
        if not limited.allowed:
            return self.show(page, "Too many subscriptions asked from here; try later.", status=429)
        subscriptions.subscribe(page, form.cleaned_data["email"])
        return self.show(
            page,
            f"We mailed {form.cleaned_data['email']} a link: open it to confirm the subscription.",
        )


class ConfirmView(SubscriptionPage):
    def get(self, request, status_page_id, token):
        return self.show(
            self.page(status_page_id),
            "Confirm that this address should be mailed the notices of this page.",
            button="Confirm my subscription",
        )

    def post(self, request, status_page_id, token):
        page = self.page(status_page_id)
        if subscriptions.confirm(page, token) is None:
            return self.show(page, "This link is no longer valid: subscribe again.", status=404)
        return self.show(page, "Subscribed: you will be mailed this page's notices.")


@method_decorator(csrf_exempt, name="dispatch")  # one click from the mail client (RFC 8058)
class UnsubscribeView(SubscriptionPage):
    def get(self, request, status_page_id, token):
        return self.show(
            self.page(status_page_id),
            "Stop mailing this address the notices of this page?",
            button="Unsubscribe",
        )

    def post(self, request, status_page_id, token):
        page = self.page(status_page_id)
        subscriptions.unsubscribe(page, token)
        return self.show(page, "Unsubscribed: no more mail from this page.")
