"""My profile (contact methods, rules, test page, time zone), a team's deliveries, and the
confirmation page behind a notification's "Acknowledge" and "Resolve" links."""

from zoneinfo import available_timezones

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import TemplateView

from accounts.models import validate_time_zone
from accounts.permissions import is_team_manager
from audit import services as audit
from incidents.models import Urgency
from notifications import contacts, links, services
from notifications.models import ChatChannel, ContactMethod, ContactMethodType, Delivery
from pinghome.api import parse_uuid
from pinghome.pages import OrganizationPageMixin

RECENT = 50
BLANK_RULE_ROWS = 2


class ContactMethodForm(forms.Form):
    type = forms.ChoiceField(choices=ContactMethodType.choices)
    target = forms.CharField(
        max_length=2000,
        help_text="E-mail address; Apprise URL (ntfy://ntfy.sh/my-topic, slack://..., "
        "tgram://...); or https URL for a signed webhook.",
    )
    label = forms.CharField(max_length=100, required=False, help_text="e.g. Phone push")


class CodeForm(forms.Form):
    code = forms.RegexField(
        regex=r"^\d{6}$",
        max_length=6,
        error_messages={"invalid": "Six digits."},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "size": 8}
        ),
    )


def _zone_choices() -> list[tuple[str, str]]:
    return [("", "The browser's (UTC in messages)")] + [
        (zone, zone) for zone in sorted(available_timezones())
    ]


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(choices=_zone_choices, required=False)

    def clean_time_zone(self):
        value = self.cleaned_data["time_zone"]
        if value:
            validate_time_zone(value)
        return value


def rule_rows(rules: list[dict]) -> list[dict]:
    """Per urgency, its rules then blank rows to add some: what the rules forms show."""
    rows = []
    for urgency in reversed(Urgency.values):  # critical first
        mine = [r for r in rules if r["urgency"] == urgency]
        rows.append(
            {
                "urgency": urgency,
                "rules": mine + [{"contact_method_id": "", "delay_minutes": ""}] * BLANK_RULE_ROWS,
                "count": len(mine),
            }
        )
    return rows


class ProfileView(OrganizationPageMixin, TemplateView):
    template_name = "notifications/profile.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        methods = list(ContactMethod.objects.filter(user=user))
        rules = contacts.rules_of(user)
        kwargs.setdefault("method_form", ContactMethodForm())
        kwargs.setdefault("zone_form", TimeZoneForm(initial={"time_zone": user.time_zone}))
        return super().get_context_data(
            nav="profile",
            zone=timezone.get_current_timezone(),  # the viewer's (ViewerTimeZoneMiddleware)
            methods=methods,
            verified=[m for m in methods if m.is_verified and m.enabled],
            code_form=CodeForm(),
            rule_rows=rule_rows(rules),
            deliveries=Delivery.objects.filter(user=user)
            .select_related("incident")
            .order_by("-created_at", "-id")[:RECENT],
            **kwargs,
        )


class _ProfileAction(ProfileView):
    """A POST from My profile, then back to it (or the page again with the form's errors)."""

    http_method_names = ["post"]

    def back(self, anchor: str = ""):
        return redirect(f"/profile{anchor}")

    def method(self, contact_method_id) -> ContactMethod:
        """One of the signed-in user's contact methods, else 404."""
        pk = parse_uuid(contact_method_id)
        method = ContactMethod.objects.filter(pk=pk, user=self.request.user).first() if pk else None
        if method is None:
            raise Http404
        return method


class AddContactMethodView(_ProfileAction):
    def post(self, request):
        form = ContactMethodForm(request.POST)
        if form.is_valid():
            try:
                method = contacts.create_contact_method(request.user, **form.cleaned_data)
            except ValidationError as exc:
                for field, problems in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, problems)
            else:
                messages.success(
                    request, f"Added. A 6-digit code is on its way to {method.shown_target}."
                )
                return self.back(f"#method-{method.pk}")
        return self.render_to_response(self.get_context_data(method_form=form), status=422)


class VerifyContactMethodView(_ProfileAction):
    def post(self, request, contact_method_id):
        method = self.method(contact_method_id)
        form = CodeForm(request.POST)
        if not form.is_valid():
            messages.error(request, "The code is six digits.")
            return self.back(f"#method-{method.pk}")
        try:
            contacts.verify(method, form.cleaned_data["code"])
        except contacts.AlreadyVerified:
            messages.success(request, "Already verified.")
        except contacts.VerificationError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Verified: {method.shown_target} can page you now.")
        return self.back(f"#method-{method.pk}")


class ResendCodeView(_ProfileAction):
    def post(self, request, contact_method_id):
        method = self.method(contact_method_id)
        try:
            contacts.resend_code(method)
        except contacts.AlreadyVerified:
            messages.success(request, "Already verified.")
        except contacts.VerificationError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "A new code is on its way.")
        return self.back(f"#method-{method.pk}")


class EditContactMethodView(_ProfileAction):
    """Its label, and whether it pages (a checkbox): ``contacts.update_contact_method``."""

    def post(self, request, contact_method_id):
        method = self.method(contact_method_id)
        label = request.POST.get("label", "")[:100]
        enabled = request.POST.get("enabled") == "on"
        contacts.update_contact_method(
            method, by=request.user, changes={"label": label, "enabled": enabled}
        )
        messages.success(request, f"Saved {method.shown_target}.")
        return self.back(f"#method-{method.pk}")


class DeleteContactMethodView(_ProfileAction):
    def post(self, request, contact_method_id):
        method = self.method(contact_method_id)
        contacts.delete_contact_method(method, by=request.user)
        messages.success(request, f"Removed {method.shown_target}.")
        return self.back("#methods")


class RulesView(_ProfileAction):
    """One urgency's rules, from rows of (contact method, delay); the other urgencies keep
    theirs."""

    def post(self, request, urgency):
        if urgency not in Urgency.values:
            return self.back("#rules")
        rows = zip(
            request.POST.getlist("contact_method_id"),
            request.POST.getlist("delay_minutes"),
            strict=False,
        )
        mine = []
        for method_id, delay in rows:
            if not method_id:
                continue
            delay = (delay or "0").strip()
            if not (
                delay.isascii() and delay.isdigit() and int(delay) <= contacts.MAX_DELAY_MINUTES
            ):
                messages.error(
                    request,
                    f"A delay is a whole number of minutes, 0 to {contacts.MAX_DELAY_MINUTES}.",
                )
                return self.back(f"#rules-{urgency}")
            mine.append(
                {"urgency": urgency, "contact_method_id": method_id, "delay_minutes": int(delay)}
            )
        others = [r for r in contacts.rules_of(request.user) if r["urgency"] != urgency]
        try:
            contacts.set_rules(request.user, others + mine)
        except ValidationError:
            messages.error(request, "Each rule needs one of your contact methods, once per delay.")
        else:
            messages.success(request, f"Rules for {urgency} urgency saved.")
        return self.back(f"#rules-{urgency}")


class TestPageView(_ProfileAction):
    def post(self, request):
        services.send_test_page(request.user)
        messages.success(request, "Test page sent: see Recent deliveries below.")
        return self.back("#deliveries")


class TimeZoneView(_ProfileAction):
    def post(self, request):
        form = TimeZoneForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(zone_form=form), status=422)
        user = request.user
        with audit.recorded(user, user, fields=["time_zone"]):
            user.time_zone = form.cleaned_data["time_zone"]
            user.save(update_fields=["time_zone"])
        messages.success(request, "Time zone saved.")
        return self.back("#time-zone")


class ChatChannelForm(forms.Form):
    target = forms.CharField(
        max_length=2000,
        label="Apprise URL",
        help_text="slack://..., msteams://..., mmost://..., discord://...",
    )
    label = forms.CharField(max_length=100, required=False, help_text="e.g. #ops")


class TeamDeliveriesView(OrganizationPageMixin, TemplateView):
    """Recent deliveries about a team's incidents and to its chat channels; the team's chat
    channels, which its managers add and remove here."""

    template_name = "notifications/team_deliveries.html"

    def post(self, request):
        team = self.selected_team()
        if team is None:
            raise Http404
        form = ChatChannelForm(request.POST)
        if form.is_valid():
            try:
                contacts.create_chat_channel(team, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error("target", exc.message_dict["target"])
            else:
                messages.success(request, "Chat channel added.")
                return redirect(f"{request.path}?team={team.pk}#chat-channels")
        return self.render_to_response(self.get_context_data(channel_form=form), status=422)

    def get_context_data(self, **kwargs):
        choice = self.team_choice()
        team = choice["team"]
        recent = (
            Delivery.objects.filter(team=team)
            .select_related("incident", "user")
            .order_by("-created_at", "-id")[: RECENT * 2]
            if team
            else []
        )
        kwargs.setdefault("channel_form", ChatChannelForm())
        return super().get_context_data(
            nav="deliveries",
            deliveries=recent,
            chat_channels=team.chat_channels.all() if team else [],
            manages=bool(team) and is_team_manager(self.request.user, team),
            **choice,
            **kwargs,
        )


class DeleteChatChannelView(OrganizationPageMixin, View):
    def post(self, request, chat_channel_id):
        channel = self.get_in_organization(
            ChatChannel.objects.select_related("team"),
            chat_channel_id,
            field="team__organization",
        )
        contacts.delete_chat_channel(channel, by=request.user)
        messages.success(request, f"Chat channel {channel} removed.")
        return redirect(f"/deliveries?team={channel.team_id}#chat-channels")


@method_decorator(csrf_exempt, name="dispatch")
class LinkView(TemplateView):
    """No sign-in: the signature, the expiry and single use protect it. A GET asks, a POST acts
    (mail scanners prefetch GETs), which is also why the POST needs no CSRF token."""

    template_name = "notifications/link.html"

    def get(self, request, incident_id, token):
        try:
            delivery, action = links.read(incident_id, token)
        except links.LinkError as exc:
            return self.render_to_response(self.context(problem=str(exc)), status=410)
        return self.render_to_response(
            self.context(incident=delivery.incident, action=action, recipient=delivery.user)
        )

    def post(self, request, incident_id, token):
        try:
            done = links.act(incident_id, token)
        except links.LinkError as exc:
            return self.render_to_response(self.context(problem=str(exc)), status=410)
        return self.render_to_response(self.context(done=done))

    def context(self, **kwargs):
        return self.get_context_data(public_page=True, **kwargs)
