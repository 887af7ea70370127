"""Action types: what an incident does when it opens (and undoes when it resolves).

An action type is one module exposing ``NAME``, ``SettingSerializer`` (the shape of one item
of ``settings``), ``check_settings(items, organization)`` (what the shape cannot tell, e.g. that
ids exist in the organization), ``run(action) -> message`` (inside a transaction, idempotent)
and ``undo(incident) -> message`` (idempotent). Register it in ``REGISTRY``.
"""

from types import ModuleType


class ActionFailed(Exception):
    """An action could not run; ``permanent`` failures are not retried."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


from incidents.actions import trigger_alerts  # noqa: E402 - the types need ActionFailed

REGISTRY: dict[str, ModuleType] = {trigger_alerts.NAME: trigger_alerts}


def action_type(name: str) -> ModuleType:
    return REGISTRY[name]
