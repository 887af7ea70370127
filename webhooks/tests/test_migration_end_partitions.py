"""The end partitions migration: on PostgreSQL the events table's default partition, with
events in it (kept before the first week, in a missing week, after the last week), gives way to
two end partitions and the missing weeks without losing an event or an incident's link; and
back."""

from datetime import timedelta

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from webhooks import retention
from webhooks.tests.test_migration_partition_events import is_partitioned, migrate, rows
from webhooks.tests.test_retention import partition_of, reset_partitions

BEFORE = [("webhooks", "0008_event_pending_by_webhook")]
AFTER = [("webhooks", "0009_events_end_partitions")]
DEFAULT = f"{retention.TABLE}_default"
WEEK = timedelta(days=7)


def default_partition() -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT partdefid::regclass::text FROM pg_partitioned_table "
            "WHERE partrelid = %s::regclass AND partdefid <> 0",
            [retention.TABLE],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def test_a_default_partition_with_events_gives_way_to_end_partitions(transactional_db):
    now = timezone.now()
    this_week = retention.week_start(now)
    old = migrate(BEFORE)
    try:
        assert default_partition() == DEFAULT
        # This week and the one after next, whatever earlier tests left; the week between
        # missing (never made, say): its events go to the default partition too.
        with connection.cursor() as cursor:
            for name in retention.weeks().values():
                cursor.execute(f'DROP TABLE "{name}"')
            for week in (this_week, this_week + 2 * WEEK):
                cursor.execute(
                    f'CREATE TABLE "{retention.week_name(week)}" PARTITION OF '
                    f"\"{retention.TABLE}\" FOR VALUES FROM ('{week.isoformat()}') "
                    f"TO ('{(week + WEEK).isoformat()}')"
                )
        organization = old.get_model("accounts", "Organization").objects.create(name="Acme")
        team = old.get_model("accounts", "Team").objects.create(
            organization=organization, name="Ops"
        )
        webhook = old.get_model("webhooks", "Webhook").objects.create(organization=organization)
        Event = old.get_model("webhooks", "WebhookEvent")  # noqa: N806 - a model class
        offsets = {
            "kept past its week": -60 * WEEK,
            "this week": timedelta(0),
            "in the missing week": WEEK,
            "after the last week": 6 * WEEK,
        }
        events = {
            what: Event.objects.create(
                webhook=webhook,
                received_at=now + offset,
                content_type="application/json",
                body=b'{"what": "%s"}' % what.encode(),
                headers={"User-Agent": "Alertmanager/0.27"},
                ip="192.0.2.1",
                evaluated_at=now,
                evaluation={"rulesets": []},
            )
            for what, offset in offsets.items()
        }
        assert [partition_of(event.pk) for event in events.values()].count(DEFAULT) == 3
        incident = old.get_model("incidents", "Incident").objects.create(
            organization=organization, team=team, name="Down", urgency="high"
        )
        old.get_model("incidents", "IncidentEvent").objects.create(
            incident=incident, event=events["kept past its week"]
        )
        before = rows(Event)
        new = migrate(AFTER)

        assert is_partitioned() and default_partition() is None
        Event = new.get_model("webhooks", "WebhookEvent")  # noqa: N806 - a model class
        assert rows(Event) == before and len(before) == 4
        found = retention.layout()
        assert found.low == (this_week, retention.low_name(this_week))
        assert partition_of(events["kept past its week"].pk) == found.low[1]
        for what in ("this week", "in the missing week", "after the last week"):
            week = retention.week_start(events[what].received_at)
            assert partition_of(events[what].pk) == retention.week_name(week)
        # Weeks ahead of the newest event: the high partition starts empty.
        assert found.high[0] == retention.week_start(now + 6 * WEEK) + WEEK
        assert set(found.weeks) == {
            this_week + n * WEEK for n in range((found.high[0] - this_week) // WEEK)
        }
        [link] = new.get_model("incidents", "IncidentEvent").objects.select_related("event")
        assert link.event.pk == events["kept past its week"].pk

        # And back: the end partitions' events in a default partition again.
        old = migrate(BEFORE)
        assert default_partition() == DEFAULT
        assert rows(old.get_model("webhooks", "WebhookEvent")) == before
        assert partition_of(events["kept past its week"].pk) == DEFAULT
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
        reset_partitions()
