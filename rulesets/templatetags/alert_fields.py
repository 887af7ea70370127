"""``{% alert_fields incident %}``: the fields its ruleset names, for the incident's page."""

from django import template

from incidents.models import Incident
from rulesets.incident_fields import for_incident

register = template.Library()


@register.inclusion_tag("rulesets/_alert_fields.html")
def alert_fields(incident: Incident) -> dict:
    fields, note = for_incident(incident)
    return {"fields": fields, "note": note}
