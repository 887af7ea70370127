"""Reads that a storm repeats, kept a short while in each process."""

import time
from collections.abc import Callable, Hashable
from typing import Any


class ShortLived:
    """Values computed at most once per ``seconds`` in each process, per key.

    For what every chunk of a storm of events would otherwise read again: the rulesets listening
    to a webhook, who is on call for a team. A change saved in the same process clears the
    values at once (connect ``clear`` to the models' signals: tests and the embedded default
    see it); other processes apply it within ``seconds``.
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._values: dict[Hashable, tuple[float, Any]] = {}

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        now = time.monotonic()
        cached = self._values.get(key)
        if cached is None or cached[0] < now:
            cached = self._values[key] = (now + self.seconds, compute())
        return cached[1]

    def clear(self, **signal_kwargs: Any) -> None:
        self._values.clear()
