"""On-call benchmark: 1,000 teams with 3 rotation layers, 20 schedule entries and 10 overrides
each, on PostgreSQL.

    .venv/bin/python bench/oncall.py

Prints the time to answer "who is on call now" for one team and for all teams, and to render
30 days of final shifts for one team (in-process, database queries included; median of repeats).
Each team's layers: a weekly rotation of four with a weekday-night restriction (layer 3), a daily
rotation with a version changed a week ago (layer 2), a 36-hour custom backup (layer 1).
"""

import os
import random
import statistics
import sys
import time
from datetime import time as clock
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import fresh_database, manage  # noqa: E402

TEAMS, ENTRIES, OVERRIDES, MEMBERS = 1000, 20, 10, 8
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]


def populate() -> None:
    from accounts.models import Organization, Team, TeamMember, User
    from schedules.models import Override, ScheduleEntry

    rng = random.Random(7)
    org = Organization.objects.create(name="Bench")
    users = User.objects.bulk_create(
        [User(email=f"user{i}@bench.test", organization=org) for i in range(MEMBERS * 10)]
    )
    teams = Team.objects.bulk_create(
        [
            Team(organization=org, name=f"team-{i}", time_zone=rng.choice(ZONES))
            for i in range(TEAMS)
        ]
    )
    members = TeamMember.objects.bulk_create(
        [TeamMember(team=team, user=user) for team in teams for user in rng.sample(users, MEMBERS)]
    )
    by_team: dict = {}
    for member in members:
        by_team.setdefault(member.team_id, []).append(member)
    entries = []
    for team in teams:
        for n in range(ENTRIES):
            start = rng.randrange(24)
            entries.append(
                ScheduleEntry(
                    team=team,
                    team_member=rng.choice(by_team[team.id]),
                    week_days=sorted(rng.sample(range(7), rng.randint(1, 7))),
                    months_of_year=[] if n % 3 else sorted(rng.sample(range(1, 13), 6)),
                    weeks_of_month=[] if n % 4 else [rng.choice([1, 2, 3, 4, -1])],
                    start_time=clock(start),
                    end_time=clock((start + rng.choice([8, 12, 16])) % 24),
                    time_zone=rng.choice(["", *ZONES]),
                )
            )
    ScheduleEntry.objects.bulk_create(entries, batch_size=5000)
    from django.utils import timezone

    now = timezone.now()
    Override.objects.bulk_create(
        [
            Override(
                team=team,
                team_member=by_team[team.id][n % MEMBERS],
                replaces_team_member=by_team[team.id][(n + 1) % MEMBERS] if n % 2 else None,
                start=(start := now + timedelta(hours=rng.randrange(-48, 30 * 24))),
                end=start + timedelta(hours=rng.randrange(1, 48)),
            )
            for team in teams
            for n in range(OVERRIDES)
        ],
        batch_size=5000,
    )
    populate_rotations(rng, teams, by_team, now)


def populate_rotations(rng, teams, by_team, now) -> None:
    from schedules.models import Rotation, RotationVersion

    rotations = Rotation.objects.bulk_create(
        [Rotation(team=team, name=f"layer {n}") for team in teams for n in (1, 2, 3)]
    )
    nights = [{"week_days": [1, 2, 3, 4, 5], "start_time": "18:00:00", "end_time": "08:00:00"}]
    versions = []
    for rotation in rotations:
        members = [str(m.pk) for m in by_team[rotation.team_id]]
        layer = int(rotation.name[-1])
        common = {
            "rotation": rotation,
            "layer": layer,
            "handoff_date": (now - timedelta(days=rng.randrange(30, 400))).date(),
            "handoff_time": clock(9),
            "time_zone": rng.choice(["", *ZONES]),
        }
        if layer == 3:
            versions.append(
                RotationVersion(
                    effective_from=now - timedelta(days=400),
                    participants=members[:4],
                    shift_length="weekly",
                    restrictions=nights,
                    **common,
                )
            )
        elif layer == 2:
            for days_ago, people in ((400, members[2:6]), (7, members[3:7])):
                versions.append(
                    RotationVersion(
                        effective_from=now - timedelta(days=days_ago),
                        participants=people,
                        shift_length="daily",
                        **common,
                    )
                )
        else:
            versions.append(
                RotationVersion(
                    effective_from=now - timedelta(days=400),
                    participants=members[5:8],
                    shift_length="custom",
                    shift_hours=36,
                    **common,
                )
            )
    RotationVersion.objects.bulk_create(versions, batch_size=5000)


def timed(function, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def main() -> None:
    database = fresh_database(
        "postgres://postgres@127.0.0.1:5432/postgres", "pinghome_bench_oncall"
    )
    manage(database, "migrate", "--noinput", "-v0")
    os.environ["DATABASE_URL"] = database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pinghome.settings")
    import django

    django.setup()
    from django.utils import timezone

    from accounts.models import Team
    from schedules import oncall

    populate()
    teams = list(Team.objects.order_by("name"))
    team, now = teams[0], timezone.now()
    one = timed(lambda: oncall.on_call(team, now), 200)
    everyone = timed(lambda: oncall.on_call_for_teams(teams, now), 5)
    render = timed(lambda: oncall.shifts(team, now, now + timedelta(days=30)), 50)
    print(
        f"{TEAMS} teams x (3 rotation layers, {ENTRIES} entries, {OVERRIDES} overrides), "
        "PostgreSQL, in-process, median:"
    )
    print(f"  who is on call now, one team:   {one:8.2f} ms  (target < 5 ms)")
    print(f"  who is on call now, all teams:  {everyone:8.1f} ms  (target < 1000 ms)")
    print(f"  30 days of final shifts, one team: {render:5.2f} ms  (target < 50 ms)")


if __name__ == "__main__":
    main()
