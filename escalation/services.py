"""Escalation use cases: policies (changed by a team's managers, audited) and the incidents
that follow them (step 1 when they open, the periodic tick, "escalate now", restarts)."""

from __future__ import annotations

import logging
from dataclasses import astuple, dataclass, field, replace
from datetime import timedelta
from functools import partial
from typing import Any

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from accounts.models import Team, User
from accounts.permissions import ensure_team_manager
from audit import services as audit
from audit.models import AuditAction
from escalation import chain
from escalation.models import EscalationPolicy, EscalationStep, PagedUser, TargetType
from escalation.targets import Reach, Resolver
from incidents.models import Incident, IncidentStatus, TimelineEntry, TimelineKind
from notifications import services as notifications
from pinghome.memo import ShortLived
from pinghome.metrics import escalation_steps as count_escalation_steps
from pinghome.rows import insert_each, update_each

logger = logging.getLogger(__name__)

DEFAULT_POLICY_NAME = "On-call now"


class PolicyInUse(Exception):
    """The policy is a team's default, or an open incident follows it (a 409)."""


class CannotEscalate(Exception):
    """The incident has no step to run now (a 409)."""


# --- policies ----------------------------------------------------------------------------------


def _audited(policy: EscalationPolicy) -> dict[str, Any]:
    state = audit.snapshot(policy, ["team_id", "name", "repeat", "is_team_default"])
    state["steps"] = [
        {"delay_minutes": step.delay_minutes, "targets": step.targets}
        for step in policy.steps.all()
    ]
    return state


def _save_steps(policy: EscalationPolicy, steps: list[dict[str, Any]]) -> None:
    """The steps replace the policy's own, in this order."""
    policy.steps.all().delete()
    EscalationStep.objects.bulk_create(
        EscalationStep(
            policy=policy,
            position=position,
            delay_minutes=step["delay_minutes"],
            targets=[{"type": t["type"], "id": str(t["id"])} for t in step["targets"]],
        )
        for position, step in enumerate(steps)
    )


@transaction.atomic
def create_policy(
    team: Team, *, by: User, name: str, repeat: int, steps: list[dict[str, Any]]
) -> EscalationPolicy:
    ensure_team_manager(by, team)
    policy = EscalationPolicy.objects.create(
        organization_id=team.organization_id, team=team, name=name, repeat=repeat
    )
    _save_steps(policy, steps)
    audit.record(by, AuditAction.CREATED, policy, after=_audited(policy))
    return policy


@transaction.atomic
def update_policy(
    policy: EscalationPolicy, *, by: User, name: str, repeat: int, steps: list[dict[str, Any]]
) -> EscalationPolicy:
    """Name, repeat and steps replaced; incidents already following it take the new steps from
    their next one."""
    policy = EscalationPolicy.objects.select_for_update().select_related("team").get(pk=policy.pk)
    ensure_team_manager(by, policy.team)
    before = _audited(policy)
    policy.name, policy.repeat, policy.updated_at = name, repeat, timezone.now()
    policy.save(update_fields=["name", "repeat", "updated_at"])
    _save_steps(policy, steps)
    audit.record_update(by, policy, before, _audited(policy))
    return policy


def open_incidents_following(policy: EscalationPolicy) -> QuerySet:
    # Through the organization's index of incidents by status: only unresolved ones are read.
    return Incident.objects.filter(
        organization_id=policy.organization_id,
        status__in=[IncidentStatus.TRIGGERED, IncidentStatus.ACKNOWLEDGED],
        escalation_policy=policy,
    )


def why_in_use(policy: EscalationPolicy) -> str:
    """Why the policy cannot be deleted now; empty when it can."""
    if policy.is_team_default:
        return (
            f"{policy.name} is the default policy of team {policy.team.name}: make another "
            "policy the default first."
        )
    if open_incidents_following(policy).exists():
        return f"Open incidents follow {policy.name}: resolve them first."
    return ""


@transaction.atomic
def delete_policy(policy: EscalationPolicy, *, by: User) -> None:
    Team.objects.select_for_update().filter(pk=policy.team_id).first()  # against make_default
    policy = EscalationPolicy.objects.select_related("team").get(pk=policy.pk)
    ensure_team_manager(by, policy.team)
    if reason := why_in_use(policy):
        raise PolicyInUse(reason)
    audit.record(by, AuditAction.DELETED, policy, before=_audited(policy))
    policy.delete()


def policies_paging(team: Team) -> tuple[str, list[str]]:
    """What keeps the team from being deleted (``accounts.services.delete_team``): other
    teams' policies with a step that pages it (its own go with it). Read in Python: JSON
    containment is not portable, and an organization's steps are few."""
    from accounts.services import named

    team_id = str(team.pk)
    steps = EscalationStep.objects.filter(policy__organization_id=team.organization_id).exclude(
        policy__team=team
    )
    paging = {
        step.policy_id
        for step in steps.only("policy_id", "targets")
        for target in step.targets or []
        if isinstance(target, dict)
        and target.get("type") in (TargetType.ONCALL, TargetType.TEAM)
        and str(target.get("id")) == team_id
    }
    policies = (
        EscalationPolicy.objects.filter(pk__in=paging).select_related("team").order_by("name")
    )
    return "escalation_policies", named(policies, lambda p: f"{p.name} of {p.team.name} ({p.pk})")


@transaction.atomic
def make_default(policy: EscalationPolicy, *, by: User) -> None:
    """The team's incidents that name no other policy follow this one from now on."""
    team = Team.objects.select_for_update().get(pk=policy.team_id)  # one default at a time
    ensure_team_manager(by, team)
    for other in EscalationPolicy.objects.filter(team=team, is_team_default=True):
        if other.pk == policy.pk:
            return
        with audit.recorded(by, other, fields=["is_team_default"]):
            other.is_team_default = False
            other.save(update_fields=["is_team_default"])
    with audit.recorded(by, policy, fields=["is_team_default"]):
        policy.is_team_default = True
        policy.save(update_fields=["is_team_default"])


def create_default_policy(team: Team) -> EscalationPolicy:
    """ "On-call now": step 1 pages whoever is on call for the team when an incident opens."""
    policy = EscalationPolicy.objects.create(
        organization_id=team.organization_id,
        team=team,
        name=DEFAULT_POLICY_NAME,
        is_team_default=True,
    )
    EscalationStep.objects.create(
        policy=policy,
        position=0,
        targets=[{"type": TargetType.ONCALL, "id": str(team.pk)}],
    )
    return policy


def on_team_saved(sender, instance: Team, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        create_default_policy(instance)


def with_default_policy(teams: QuerySet) -> QuerySet:
    """Teams annotated with ``escalation_policy_id``, their default policy's id."""
    default = EscalationPolicy.objects.filter(team=OuterRef("pk"), is_team_default=True)
    return teams.annotate(escalation_policy_id=Subquery(default.values("pk")[:1]))


# --- what incidents follow, read once a second per process -------------------------------------

_plans = ShortLived(seconds=1.0)
_defaults = ShortLived(seconds=1.0)
for _model in (EscalationPolicy, EscalationStep):
    for _cache in (_plans, _defaults):
        post_save.connect(_cache.clear, sender=_model, weak=False)
        post_delete.connect(_cache.clear, sender=_model, weak=False)


def _load_plans(policy_ids: list[Any]) -> dict[Any, chain.Plan | None]:
    policies = EscalationPolicy.objects.filter(pk__in=policy_ids).prefetch_related("steps")
    plans: dict[Any, chain.Plan | None] = dict.fromkeys(policy_ids)
    for policy in policies:
        plans[policy.pk] = chain.Plan(
            policy_id=policy.pk,
            name=policy.name,
            repeat=policy.repeat,
            steps=tuple(
                chain.Step(
                    delay=timedelta(minutes=step.delay_minutes),
                    targets=tuple((t["type"], t["id"]) for t in step.targets),
                )
                for step in policy.steps.all()
            ),
        )
    return plans


def _load_plan(policy_id: Any) -> chain.Plan | None:
    return _load_plans([policy_id])[policy_id]


def plans_of(policy_ids) -> dict[Any, chain.Plan | None]:
    return _plans.get_many([pk for pk in policy_ids if pk is not None], _load_plans)


def default_policy_id(team_id: Any) -> Any:
    return _defaults.get(
        team_id,
        lambda: (
            EscalationPolicy.objects.filter(team_id=team_id, is_team_default=True)
            .values_list("pk", flat=True)
            .first()
        ),
    )


STATE_FIELDS = [
    "escalation_cycle",
    "escalation_step",
    "escalation_repeats_left",
    "next_escalation_at",
]


def _state(incident: Incident) -> chain.State:
    return chain.State(
        incident.escalation_cycle,
        incident.escalation_step,
        incident.escalation_repeats_left,
        incident.next_escalation_at,
    )


def _set_state(incident: Incident, state: chain.State) -> None:
    incident.escalation_cycle, incident.escalation_step = state.cycle, state.step
    incident.escalation_repeats_left, incident.next_escalation_at = (
        state.repeats_left,
        state.next_at,
    )


def opening_state(team_id: Any, *, policy_id: Any = None) -> dict[str, Any]:
    """Escalation fields of an incident opening now: the policy it follows (``policy_id``, its
    own or its ruleset's, else the team's default) with step 1 due after its delay.

    For each incident evaluation opens: two lookups in per-process caches.
    """
    policy_id = policy_id or default_policy_id(team_id)
    plan = _plans.get(policy_id, partial(_load_plan, policy_id)) if policy_id else None
    if plan is None:
        return {"escalation_policy_id": None}
    state = chain.start(plan, timezone.now())
    fields = {
        "escalation_policy_id": policy_id,
        "escalation_cycle": state.cycle,
        "next_escalation_at": state.next_at,
    }
    if state.repeats_left:  # else the default, as the step (0): each field given costs a little
        fields["escalation_repeats_left"] = state.repeats_left
    return fields


# --- running steps -----------------------------------------------------------------------------

Due = tuple[Incident, chain.Plan, tuple[int, int, int]]  # the step to run: (cycle, step, left)


@dataclass
class _Pages:
    """What steps decided to send, written as delivery rows in the transaction that decided it
    (sent after commit, or by the periodic sweep should the broker be down then): pages, chat
    posts of ``channel`` targets (``[incident, channel id, reason, step label, note]``) and what
    the incidents' teams' chat channels are told (``[incident, reason, note, step label]``). A
    chat post is keyed by its channel, incident, reason and step: a channel both targeted by a
    step and told of it as one of the team's hears of the step once."""

    users: list[notifications.Page] = field(default_factory=list)
    channels: list[list[Any]] = field(default_factory=list)
    announcements: list[list[Any]] = field(default_factory=list)

    def send(self) -> None:
        notifications.page_users(self.users)
        for incident, channel_id, reason, label, note in self.channels:
            notifications.post_to_chat_channel(
                incident, channel_id, reason=reason, step_label=label, note=note
            )
        for incident, reason, note, label in self.announcements:
            notifications.announce(incident, reason, note, step_label=label)


@dataclass
class _Ran:
    """What running steps of many incidents writes."""

    entries: list[TimelineEntry] = field(default_factory=list)
    reached: dict[Any, Reach] = field(default_factory=dict)
    states: dict[Any, chain.State] = field(default_factory=dict)


def _run(due: list[Due], now, *, by: User | None = None) -> _Ran:
    """Who each step reaches, its timeline entry and the state after it: nothing is written or
    sent here."""
    resolver = Resolver()
    resolver.load(t for _, plan, (_, step, _) in due for t in plan.steps[step - 1].targets)
    ran = _Ran()
    for incident, plan, (cycle, step, left) in due:
        reach = resolver.reach(incident.organization_id, plan.steps[step - 1].targets)
        ran.reached[incident.pk] = reach
        ran.entries.append(_entry(incident, plan, cycle, step, left, reach, by))
        ran.states[incident.pk] = chain.after(plan, cycle, step, left, now)
    return ran


def _entry(
    incident: Incident,
    plan: chain.Plan,
    cycle: int,
    step: int,
    left: int,
    reach: Reach,
    by: User | None,
) -> TimelineEntry:
    done = []
    if reach.users:
        done.append("paged " + ", ".join(user.email for user in reach.users))
    if reach.channel_ids:
        done.append(f"posted to {len(reach.channel_ids)} chat channel(s)")
    done += [f"no one on call for team {team.name}" for team in reach.no_one_on_call]
    if not reach.users:
        done.append("no one paged")
    repeated = plan.repeat - left
    where = f"step {step} of {len(plan.steps)}" + (
        f", repeat {repeated} of {plan.repeat}" if repeated > 0 else ""
    )
    return TimelineEntry.staged(
        incident.pk,  # by id, as evaluation stages its rows
        TimelineKind.ESCALATED,
        by.email if by else "system",
        f"Escalation policy {plan.name}, {where}: " + "; ".join(done),
        {
            "policy_id": str(plan.policy_id),
            "cycle": cycle,
            "step": step,
            "user_ids": [str(user.pk) for user in reach.users],
            "channel_ids": reach.channel_ids,
            "no_one_on_call_team_ids": [str(team.pk) for team in reach.no_one_on_call],
        },
        actor_user_id=by.pk if by else None,
    )


def _label(plan: chain.Plan, cycle: int, step: int) -> str:
    """Why a person is paged (their notifications say it), unique per cycle and step: pages
    are delivered once per label."""
    return f"step {step} of escalation policy {plan.name} (cycle {cycle})"


def opened_now(incidents: list[Incident]) -> list[TimelineEntry]:
    """Page for incidents opened in the current transaction, in a savepoint: their assignees,
    and step 1 of their policy when it is due at once (each person once).

    For evaluation, which calls it last in its chunk (incidents maybe not written yet: their
    state is set on the objects) and writes the returned timeline entries with its own. Should
    it fail, it leaves nothing behind: a task notifies the assignees after commit, and step 1,
    still due, is the periodic tick's.
    """
    if not incidents:
        return []
    before = [(incident, _state(incident)) for incident in incidents]
    try:
        with transaction.atomic():
            return _open(incidents, timezone.now())
    except Exception:  # noqa: BLE001 - paging must never cost the incidents themselves
        logger.exception("could not page for new incidents in process; handing them over")
        for incident, state in before:
            _set_state(incident, state)
        notifications.notify_opened(incidents)
        return []


def _open(incidents: list[Incident], now) -> list[TimelineEntry]:
    plans = plans_of({incident.escalation_policy_id for incident in incidents})
    due: list[Due] = []
    for incident in incidents:
        plan, state = plans.get(incident.escalation_policy_id), _state(incident)
        if plan is not None and state.next_at is not None and state.next_at <= now:
            step = chain.next_step(plan, state)
            if step is not None:
                due.append((incident, plan, step))
    # No paged-user rows here: nothing else runs step 1 of an incident before it commits, and
    # from then on its state says step 1 ran.
    ran = _run(due, now)
    count_escalation_steps(len(due))
    routing, pages = notifications.Routing(), _Pages()
    labels = {incident.pk: _label(plan, cycle, step) for incident, plan, (cycle, step, _) in due}
    for incident in incidents:
        reach, label = ran.reached.get(incident.pk), labels.get(incident.pk)
        if incident.assignees:
            # Labelled as incident routing labels them (its task pages them should this fail).
            people = {
                user.pk: (user, "opened")
                for user in routing.recipients(incident, incident.assignees)
            }
            people.update((user.pk, (user, label)) for user in (reach.users if reach else ()))
            pages.users += [
                notifications.Page(incident, user, "opened", why) for user, why in people.values()
            ]
        elif reach is not None:
            pages.users += [
                notifications.Page(incident, user, "opened", label) for user in reach.users
            ]
        if reach is not None and reach.channel_ids:
            pages.channels += [[incident, c, "opened", label, ""] for c in reach.channel_ids]
        pages.announcements.append([incident, "opened", "", label or ""])
    for incident, _, _ in due:
        _set_state(incident, ran.states[incident.pk])
    update_each([i for i, _, _ in due if not i._state.adding], STATE_FIELDS)
    pages.send()
    return routing.no_one_on_call + ran.entries


# The tick claims this many due incidents per transaction, and runs at most this many batches.
BATCH_SIZE = 500
MAX_BATCHES = 20


def escalate_due(*, now=None) -> int:
    """The periodic tick: run the due step of every triggered incident; the steps run.

    One indexed query claims a batch (rows locked, those another tick holds skipped, the due
    condition checked again on the newest row version), the state moves by compare-and-set,
    and a paged-user row unique per (incident, cycle, step, user) is inserted before each page:
    two ticks at once page each person once.
    """
    total = 0
    for _ in range(MAX_BATCHES):
        with transaction.atomic():
            claimed = list(
                Incident.objects.select_for_update(skip_locked=True)
                .filter(next_escalation_at__lte=now or timezone.now())
                .filter(status=IncidentStatus.TRIGGERED)
                .order_by("next_escalation_at")
                .only(*notifications.PAGE_FIELDS, "escalation_policy_id", *STATE_FIELDS)[
                    :BATCH_SIZE
                ]
            )
            total += _run_due(claimed, now or timezone.now())
        if len(claimed) < BATCH_SIZE:
            break
    return total


def _run_due(incidents: list[Incident], now, *, by: User | None = None) -> int:
    """Run the next step of each incident (held by this transaction); the steps run. Its pages
    are delivery rows of this transaction."""
    plans = plans_of({incident.escalation_policy_id for incident in incidents})
    due: list[Due] = []
    moves: list[tuple[Incident, chain.State, chain.State]] = []
    for incident in incidents:
        plan, state = plans.get(incident.escalation_policy_id), _state(incident)
        step = chain.next_step(plan, state) if plan is not None else None
        if step is None:  # the chain is over (or its policy is gone): nothing is due any more
            moves.append((incident, state, replace(state, next_at=None)))
        else:
            due.append((incident, plan, step))
    ran = _run(due, now, by=by)
    moves += [(incident, _state(incident), ran.states[incident.pk]) for incident, _, _ in due]
    moved = _compare_and_set(moves)
    due = [item for item in due if item[0].pk in moved]
    count_escalation_steps(len(due))
    paged = _insert_once(
        [
            PagedUser(
                incident_id=incident.pk, cycle=cycle, step=step, user_id=user.pk, created_at=now
            )
            for incident, _, (cycle, step, _) in due
            for user in ran.reached[incident.pk].users
        ]
    )
    insert_each([entry for entry in ran.entries if entry.incident_id in moved])
    pages = _Pages()
    for incident, plan, (cycle, step, _) in due:
        reach, label = ran.reached[incident.pk], _label(plan, cycle, step)
        pages.users += [
            notifications.Page(incident, user, "escalated", label)
            for user in reach.users
            if (incident.pk, user.pk) in paged
        ]
        note = f"Escalated to step {step} of {plan.name}"
        pages.channels += [[incident, c, "escalated", label, note] for c in reach.channel_ids]
        pages.announcements.append([incident, "escalated", note, label])
    for incident, _, new in moves:
        if incident.pk in moved:
            _set_state(incident, new)
    pages.send()
    return len(due)


def _compare_and_set(moves: list[tuple[Incident, chain.State, chain.State]]) -> set[Any]:
    """Move each triggered incident from its old escalation state to its new one, if it is
    still in the old one; the ids of those moved. One statement, its values as arrays."""
    if not moves:
        return set()
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql":  # SQLite (the embedded default): no arrays, one row at a time
        return {
            incident.pk
            for incident, old, new in moves
            if Incident.objects.filter(
                pk=incident.pk,
                escalation_cycle=old.cycle,
                escalation_step=old.step,
                status=IncidentStatus.TRIGGERED,
            ).update(
                escalation_cycle=new.cycle,
                escalation_step=new.step,
                escalation_repeats_left=new.repeats_left,
                next_escalation_at=new.next_at,
            )
        }
    columns = list(zip(*((i.pk, o.cycle, o.step, *astuple(n)) for i, o, n in moves), strict=True))
    sql = (
        f'UPDATE "{Incident._meta.db_table}" AS i SET escalation_cycle = v.cycle, '
        "escalation_step = v.step, escalation_repeats_left = v.repeats_left, "
        "next_escalation_at = v.next_at FROM unnest(%s::uuid[], %s::int[], %s::int[], "
        "%s::int[], %s::int[], %s::int[], %s::timestamptz[]) "
        "AS v(id, old_cycle, old_step, cycle, step, repeats_left, next_at) "
        "WHERE i.id = v.id AND i.escalation_cycle = v.old_cycle "
        "AND i.escalation_step = v.old_step AND i.status = %s RETURNING i.id"
    )
    with db.cursor() as cursor:
        cursor.execute(sql, [*map(list, columns), IncidentStatus.TRIGGERED])
        return {row[0] for row in cursor.fetchall()}


def _insert_once(rows: list[PagedUser]) -> set[tuple[Any, Any]]:
    """Insert paged-user rows, skipping those that exist; (incident, user) of those inserted."""
    if not rows:
        return set()
    fields = ("incident_id", "cycle", "step", "user_id", "created_at")
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql":  # SQLite (the embedded default): no arrays, one row at a time
        return {(row.incident_id, row.user_id) for row in rows if _inserted(row)}
    sql = (
        f'INSERT INTO "{PagedUser._meta.db_table}" ({", ".join(fields)}) '
        "SELECT * FROM unnest(%s::uuid[], %s::int[], %s::int[], %s::uuid[], %s::timestamptz[]) "
        "ON CONFLICT DO NOTHING RETURNING incident_id, user_id"
    )
    with db.cursor() as cursor:
        cursor.execute(sql, [[getattr(row, f) for row in rows] for f in fields])
        return set(map(tuple, cursor.fetchall()))


def _inserted(row: PagedUser) -> bool:
    """Insert one paged-user row unless it exists (in a savepoint); whether it was inserted."""
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:
        return False
    return True


def progress(incident: Incident) -> dict[str, Any]:
    """Where an incident is in its chain, for its page: the policy it follows, its number of
    steps, the step due next (at ``next_escalation_at``) and whether one can run now."""
    plan = plans_of([incident.escalation_policy_id]).get(incident.escalation_policy_id)
    upcoming = (
        chain.next_step(plan, _state(incident))
        if plan is not None and incident.status == IncidentStatus.TRIGGERED
        else None
    )
    return {
        "policy": plan,
        "steps": len(plan.steps) if plan else 0,
        "next_step": upcoming[1] if upcoming and incident.next_escalation_at else None,
        "can_escalate": upcoming is not None,
    }


@transaction.atomic
def escalate_now(incident: Incident, *, by: User) -> None:
    """Run the incident's next step now (``POST /v1/incident/{id}/escalate``)."""
    incident = (
        Incident.objects.select_for_update(of=("self",)).select_related("team").get(pk=incident.pk)
    )
    if incident.status != IncidentStatus.TRIGGERED:
        raise CannotEscalate(f"The incident is {incident.status}: only a triggered one escalates.")
    plan = plans_of([incident.escalation_policy_id]).get(incident.escalation_policy_id)
    if plan is None or chain.next_step(plan, _state(incident)) is None:
        raise CannotEscalate("The incident's escalation policy has no step left to run.")
    _run_due([incident], timezone.now(), by=by)


@transaction.atomic
def restart_escalation(incident: Incident) -> bool:
    """The chain of an incident back to ``triggered`` starts again from step 1 (in a new
    cycle), step 1 at once when it has no delay. False when the incident is not triggered or
    follows no policy."""
    incident = (
        Incident.objects.select_for_update(of=("self",)).select_related("team").get(pk=incident.pk)
    )
    plan = plans_of([incident.escalation_policy_id]).get(incident.escalation_policy_id)
    if incident.status != IncidentStatus.TRIGGERED or plan is None:
        return False
    now = timezone.now()
    state = chain.start(plan, now, after_cycle=incident.escalation_cycle)
    _set_state(incident, state)
    incident.save(update_fields=STATE_FIELDS)
    if state.next_at is not None and state.next_at <= now:
        _run_due([incident], now)
    return True


def follow_policy(incident: Incident, policy: EscalationPolicy, *, by: User) -> None:
    """The incident (locked by the caller) follows ``policy`` from step 1, now when triggered,
    else once it is triggered again."""
    incident.escalation_policy = policy
    incident.save(update_fields=["escalation_policy"])
    TimelineEntry.objects.create(
        incident=incident,
        kind=TimelineKind.EDITED,
        actor_user=by,
        actor=by.email,
        message=f"Now follows escalation policy {policy.name}",
        data={"escalation_policy_id": str(policy.pk)},
    )
    restart_escalation(incident)
