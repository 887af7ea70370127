"""The incident page's Snooze control (``incidents/_snooze.html``): 15 min, 1 h or 4 h."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.views import View

from incidents import services
from incidents.models import SNOOZE_MAX_MINUTES, Incident
from pinghome import live
from pinghome.api import parse_count
from pinghome.pages import OrganizationPageMixin


class IncidentSnoozeView(OrganizationPageMixin, View):
    """POST ``minutes``: the incident is snoozed (``services.snooze_incident``), then back to
    its page."""

    def post(self, request, incident_id):
        incident = self.get_in_organization(Incident.objects, incident_id)
        # Not a count of minutes the service takes: 0, which it refuses saying why.
        minutes = parse_count(request.POST.get("minutes", ""), maximum=SNOOZE_MAX_MINUTES) or 0
        try:
            incident = services.snooze_incident(incident, by=request.user, minutes=minutes)
        except services.TransitionError as exc:
            messages.error(request, str(exc))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, f"{incident.name}: snoozed until {incident.snoozed_until:%H:%M} UTC."
            )
        return live.redirect_back(request, reverse("incident-detail", args=[incident.pk]))
