"""The team settings of before escalation policies become policies that page as they did."""

from datetime import UTC, datetime

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("accounts", "0003_roles_scopes_time_zone"),
    ("incidents", "0005_partial_indexes_where_set"),
    ("escalation", None),
]
DUE = datetime(2030, 1, 1, tzinfo=UTC)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state([t for t in targets if t[1]]).apps


def test_team_settings_become_default_policies_and_open_incidents_follow_them(
    transactional_db, monkeypatch
):
    monkeypatch.setenv("ESCALATION_MAX_STEPS", "2")
    old = migrate(BEFORE)
    try:
        Team = old.get_model("accounts", "Team")
        Incident = old.get_model("incidents", "Incident")
        organization = old.get_model("accounts", "Organization").objects.create(name="Acme")
        dba = Team.objects.create(organization=organization, name="DBA")
        ops = Team.objects.create(
            organization=organization, name="Ops", renotify_after_minutes=15, fallback_team=dba
        )

        def incident(team, status, **escalation):
            return Incident.objects.create(
                organization=organization,
                team=team,
                name="x",
                urgency="high",
                status=status,
                **escalation,
            ).pk

        waiting = incident(ops, "triggered", escalation_step=1, next_escalation_at=DUE)
        acknowledged = incident(ops, "acknowledged", escalation_step=2)
        resolved = incident(ops, "resolved", escalation_step=2)
        quiet = incident(dba, "triggered")
    finally:
        new = migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    Policy = new.get_model("escalation", "EscalationPolicy")
    Incident = new.get_model("incidents", "Incident")
    ops_policy = Policy.objects.get(team__name="Ops", is_team_default=True)
    assert ops_policy.name == "Re-notify on-call every 15 minutes"
    assert ops_policy.repeat == 0
    ops_id, dba_id = str(ops_policy.team_id), str(dba.pk)
    assert [(s.delay_minutes, s.targets) for s in ops_policy.steps.order_by("position")] == [
        (0, [{"type": "oncall", "id": ops_id}]),
        (15, [{"type": "oncall", "id": ops_id}, {"type": "oncall", "id": dba_id}]),
        (15, [{"type": "oncall", "id": ops_id}, {"type": "oncall", "id": dba_id}]),
    ]
    dba_policy = Policy.objects.get(team__name="DBA", is_team_default=True)
    assert dba_policy.name == "On-call now"
    assert [(s.delay_minutes, s.targets) for s in dba_policy.steps.all()] == [
        (0, [{"type": "oncall", "id": dba_id}])
    ]

    def state(pk):
        i = Incident.objects.get(pk=pk)
        return (i.escalation_policy_id, i.escalation_cycle, i.escalation_step, i.next_escalation_at)

    # Opened (step 1) and re-notified once (step 2): step 3 is due when it was.
    assert state(waiting) == (ops_policy.pk, 1, 2, DUE)
    assert state(acknowledged) == (ops_policy.pk, 1, 3, None)
    assert state(resolved) == (None, 0, 2, None)
    assert state(quiet) == (dba_policy.pk, 1, 1, None)
