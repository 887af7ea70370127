"""Where an incident is in its escalation chain, and what comes next: plain functions.

An incident's state is ``(cycle, step, repeats_left, next_at)``: ``step`` is the last step run
(1-based, 0 before the first) in ``cycle``, a number that only grows (each pass through the
chain, and each restart, is a new cycle: a user is paged at most once per cycle and step).
``next_at`` is when the next step is due; None when nothing is left to run.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

Target = tuple[str, str]  # (type, id)


@dataclass(frozen=True)
class Step:
    delay: timedelta
    targets: tuple[Target, ...]


@dataclass(frozen=True)
class Plan:
    """A policy as the chain runs it."""

    policy_id: Any
    name: str
    repeat: int
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class State:
    cycle: int
    step: int
    repeats_left: int
    next_at: datetime | None


def start(plan: Plan, at: datetime, *, after_cycle: int = 0) -> State:
    """A new run of the chain from step 1, whose delay counts from ``at``."""
    first = at + plan.steps[0].delay if plan.steps else None
    return State(after_cycle + 1, 0, plan.repeat, first)


def next_step(plan: Plan, state: State) -> tuple[int, int, int] | None:
    """``(cycle, step, repeats_left)`` of the step to run next; None when the chain is over.

    After the last step the chain starts again at step 1 in a new cycle, ``repeat`` times. A
    policy that lost steps since the incident ran one continues as if past its last.
    """
    if state.step < len(plan.steps):
        return state.cycle, state.step + 1, state.repeats_left
    if plan.steps and state.repeats_left > 0:
        return state.cycle + 1, 1, state.repeats_left - 1
    return None


def after(plan: Plan, cycle: int, step: int, repeats_left: int, at: datetime) -> State:
    """The state once ``step`` of ``cycle`` ran at ``at``: the next step is due its delay
    later (step 1's delay after the last step, when the chain repeats)."""
    if step < len(plan.steps):
        return State(cycle, step, repeats_left, at + plan.steps[step].delay)
    if plan.steps and repeats_left > 0:
        return State(cycle, step, repeats_left, at + plan.steps[0].delay)
    return State(cycle, step, repeats_left, None)
