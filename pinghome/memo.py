"""Reads that a storm repeats, kept a short while in each process."""

import time
from collections.abc import Callable, Hashable, Iterable
from typing import Any


class ShortLived:
    """Values computed at most once per ``seconds`` in each process, per key.

    For what every chunk of a storm of events would otherwise read again: the rulesets listening
    to a webhook, who is on call for a team. A change saved in the same process clears the
    values at once (connect ``clear`` to the models' signals: tests and the embedded default
    see it); other processes apply it within ``seconds``.
    """

    # Expired values are dropped when this many are kept: keys a client chooses (ingest keys)
    # cannot fill the memory.
    PURGE_AT = 10_000

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._values: dict[Hashable, tuple[float, Any]] = {}

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        now = time.monotonic()
        cached = self._values.get(key)
        if cached is None or cached[0] < now:
            if len(self._values) >= self.PURGE_AT:
                self._values = {k: v for k, v in self._values.items() if v[0] >= now}
            cached = self._values[key] = (now + self.seconds, compute())
        return cached[1]

    def get_many(
        self, keys: Iterable[Hashable], compute: Callable[[list[Hashable]], dict[Hashable, Any]]
    ) -> dict[Hashable, Any]:
        """The values of ``keys``; those missing or expired computed together by ``compute``
        (which returns a value for each key it is given)."""
        now = time.monotonic()
        found, missing = {}, []
        for key in dict.fromkeys(keys):
            cached = self._values.get(key)
            if cached is None or cached[0] < now:
                missing.append(key)
            else:
                found[key] = cached[1]
        if missing:
            computed = compute(missing)
            for key in missing:
                found[key] = computed[key]
                self._values[key] = (now + self.seconds, computed[key])
        return found

    def clear(self, **signal_kwargs: Any) -> None:
        self._values.clear()
