"""Every team gets a default policy that pages as its settings did: nothing stops paging.

- A team with ``renotify_after_minutes`` R (and maybe a ``fallback_team``): step 1 pages its
  on-call at once; then ESCALATION_MAX_STEPS steps, R minutes apart, page its on-call again
  and the fallback team's.
- Any other team: "On-call now", step 1 alone.

Unresolved incidents follow their team's new policy from where they are: step 1 (the
notification when they opened) done, plus the re-notifications already sent; those still
waiting for one keep its time.
"""

from django.db import migrations
from django.db.models import F

from pinghome.env import env_int


def policies_from_team_settings(apps, schema_editor):
    Team = apps.get_model("accounts", "Team")
    Policy = apps.get_model("escalation", "EscalationPolicy")
    Step = apps.get_model("escalation", "EscalationStep")
    Incident = apps.get_model("incidents", "Incident")
    # Read here once, as the settings read it: the variable has no other use any more. With 0,
    # the old code still re-notified once (it counted after notifying).
    renotifications = max(1, env_int("ESCALATION_MAX_STEPS", 3, minimum=0))
    for team in Team.objects.order_by("pk").iterator():
        if Policy.objects.filter(team=team, is_team_default=True).exists():
            continue
        on_call = {"type": "oncall", "id": str(team.pk)}
        delay = team.renotify_after_minutes
        if delay:
            again = [on_call]
            if team.fallback_team_id:
                again.append({"type": "oncall", "id": str(team.fallback_team_id)})
            name = f"Re-notify on-call every {delay} minutes"
            steps = [(0, [on_call])] + [(delay, again)] * renotifications
        else:
            name, steps = "On-call now", [(0, [on_call])]
        policy = Policy.objects.create(
            organization_id=team.organization_id, team=team, name=name, is_team_default=True
        )
        Step.objects.bulk_create(
            Step(policy=policy, position=n, delay_minutes=d, targets=t)
            for n, (d, t) in enumerate(steps)
        )
        Incident.objects.filter(
            organization_id=team.organization_id,
            status__in=["triggered", "acknowledged"],
            team=team,
        ).update(
            escalation_policy=policy, escalation_cycle=1, escalation_step=F("escalation_step") + 1
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_roles_scopes_time_zone"),
        ("escalation", "0001_initial"),
        ("incidents", "0006_incident_escalation_policy"),
    ]

    operations = [
        migrations.RunPython(policies_from_team_settings, migrations.RunPython.noop),
    ]
