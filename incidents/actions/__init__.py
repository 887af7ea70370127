"""Action types: what an incident does when it opens (and undoes when it resolves).

An action type is one module exposing ``NAME``, ``SettingSerializer`` (the shape of one item
of ``settings``), ``check_settings(items, organization)`` (what the shape cannot tell, e.g. that
ids exist in the organization), ``run(action)`` and ``undo(action)``. Register it in ``REGISTRY``.
"""

from types import ModuleType

from incidents.actions import trigger_alerts

REGISTRY: dict[str, ModuleType] = {trigger_alerts.NAME: trigger_alerts}


def action_type(name: str) -> ModuleType:
    return REGISTRY[name]
