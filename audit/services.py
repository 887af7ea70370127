"""The audit log: every change of configuration, recorded in the transaction that makes it.

Services call ``record`` (or ``recorded`` around a change) with the acting user; the API token
they authenticated with is read from the user (``BearerTokenAuthentication`` attaches it).
"""

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from accounts.models import User
from audit.models import AuditAction, AuditRecord


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The values of ``obj``'s concrete fields (or of ``fields``) as JSON data.

    Foreign keys are given by id; secrets (``*_hash``, ``secret``, ``password``) are left out.
    """
    names = (
        list(fields)
        if fields is not None
        else [f.attname for f in obj._meta.concrete_fields if not _secret(f.attname)]
    )
    return _json({name: getattr(obj, name) for name in names})


def _secret(name: str) -> bool:
    return name.endswith("_hash") or name in ("secret", "password")


def record(
    by: User | None,
    action: str,
    obj: models.Model,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    organization_id: Any = None,
    object_type: str | None = None,
) -> AuditRecord:
    """Record one change of ``obj`` by ``by`` (None: the system).

    ``object_type`` defaults to the model's name (``ruleset``, ``team``...); the organization to
    ``obj``'s, else the actor's.
    """
    token = getattr(by, "api_token", None)
    organization_id = (
        organization_id
        or getattr(obj, "organization_id", None)
        or (by.organization_id if by else None)
    )
    return AuditRecord.objects.create(
        organization_id=organization_id,
        actor_id=by.pk if by else None,
        actor=by.email if by else "system",
        token_id=token.pk if token else None,
        token_name=token.name if token else "",
        action=action,
        object_type=object_type or obj._meta.model_name,
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
        before=_json(before) if before is not None else None,
        after=_json(after) if after is not None else None,
    )


def record_update(
    by: User | None,
    obj: models.Model,
    before: dict[str, Any],
    after: dict[str, Any],
    **options: Any,
) -> AuditRecord | None:
    """Record the values that differ between ``before`` and ``after`` (nothing if none do)."""
    before, after = _json(before), _json(after)
    changed = [name for name in {**before, **after} if before.get(name) != after.get(name)]
    if not changed:
        return None
    return record(
        by,
        AuditAction.UPDATED,
        obj,
        before={name: before.get(name) for name in changed},
        after={name: after.get(name) for name in changed},
        **options,
    )


@contextmanager
def recorded(
    by: User | None, obj: models.Model, *, fields: Iterable[str] | None = None, **options: Any
) -> Iterator[None]:
    """Record an update of ``obj`` made in the ``with`` block, when it changed anything."""
    fields = list(fields) if fields is not None else None
    before = snapshot(obj, fields)
    yield
    record_update(by, obj, before, snapshot(obj, fields), **options)


def _json(values: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(values, cls=DjangoJSONEncoder))
