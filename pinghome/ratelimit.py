"""Rate limits that are exact under concurrency: atomic counters over fixed windows.

``hit(key, limit=, window=)`` counts one more hit of ``key`` and says whether it is within
``limit`` for the window that started at the key's first hit (``window`` seconds long). With
``CACHE_URL`` set the counters live in that Redis, shared by every process: one ``INCR`` and its
expiry in one Lua script, so concurrent hits never overwrite each other. Without it they live in
this process, behind a lock.

A rate limit must never take the product down with it: while Redis cannot be reached every hit
is allowed (fail open), with one warning in the log, and Redis is tried again every few seconds;
or, for a limit that asks for it (``local_when_down``), counted in this process meanwhile, as
without CACHE_URL: a per-process count is never above the shared one, so nothing the shared
limit would accept is refused.
"""

import logging
import math
import threading
import time
from dataclasses import dataclass
from functools import lru_cache

import redis
from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

logger = logging.getLogger(__name__)

# While Redis is unreachable, hits are allowed without trying it for this long.
RETRY_AFTER_FAILURE_SECONDS = 5.0
# A rate limit check waits at most this long for Redis (connecting or answering).
REDIS_TIMEOUT_SECONDS = 0.25


@dataclass(frozen=True)
class Hit:
    allowed: bool
    count: int  # hits of the key in its window so far, this one included
    retry_after: int  # seconds until the window ends (0 when the count is unknown)


class LocalCounters:
    """Counters of this process: a dict behind a lock, expired entries dropped as it grows."""

    PURGE_AT = 10_000

    def __init__(self):
        self._lock = threading.Lock()
        self._counts: dict[str, list[float]] = {}  # key -> [count, window end]

    def incr(self, key: str, cost: int, window: float) -> tuple[int, float]:
        now = time.monotonic()
        with self._lock:
            entry = self._counts.get(key)
            if entry is None or entry[1] <= now:
                if len(self._counts) >= self.PURGE_AT:
                    self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
                entry = self._counts[key] = [0, now + window]
            entry[0] += cost
            return int(entry[0]), entry[1] - now

    def clear(self) -> None:
        with self._lock:
            self._counts = {}


# INCRBY and, on the window's first hit (or a key left without expiry), its expiry: atomic.
_INCR_SCRIPT = """
local count = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {count, ttl}
"""


class RedisCounters:
    """Counters in Redis, shared by every process that uses the same ``CACHE_URL``."""

    def __init__(self, url: str):
        self.url = url
        client = redis.Redis.from_url(
            url,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
        )
        self._script = client.register_script(_INCR_SCRIPT)
        self._down_until = 0.0
        self._lock = threading.Lock()

    def incr(self, key: str, cost: int, window: float) -> tuple[int, float] | None:
        """The count and the seconds left in the window; None while Redis is unreachable."""
        if time.monotonic() < self._down_until:
            return None
        try:
            count, ttl_ms = self._script(keys=[f"ratelimit:{key}"], args=[cost, int(window * 1000)])
        except redis.RedisError as exc:
            with self._lock:
                first = self._down_until == 0.0
                self._down_until = time.monotonic() + RETRY_AFTER_FAILURE_SECONDS
            if first:
                logger.warning(
                    "rate limits are off: the cache %s cannot be reached (%s); "
                    "requests are allowed until it can (ingest limits count in each process)",
                    _redacted(self.url),
                    exc,
                )
            return None
        if self._down_until:
            with self._lock:
                self._down_until = 0.0
            logger.warning("rate limits are on again: the cache %s answers", _redacted(self.url))
        return int(count), ttl_ms / 1000


def _redacted(url: str) -> str:
    """The URL without its password."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.rpartition('@')[2]}"


_local = LocalCounters()


@lru_cache(maxsize=4)
def _redis(url: str) -> RedisCounters:
    return RedisCounters(url)


def hit(
    key: str, *, limit: int, window: float, cost: int = 1, local_when_down: bool = False
) -> Hit:
    """Count ``cost`` hits of ``key`` (0 only reads the count); allowed while within ``limit``.
    While CACHE_URL's Redis cannot be reached: allowed, or with ``local_when_down`` counted in
    this process."""
    url = settings.CACHE_URL
    counted = _redis(url).incr(key, cost, window) if url else None
    if counted is None and (local_when_down or not url):
        counted = _local.incr(key, cost, window)
    if counted is None:
        return Hit(allowed=True, count=0, retry_after=0)
    count, left = counted
    return Hit(allowed=count <= limit, count=count, retry_after=max(1, math.ceil(left)))


_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """``"100/min"`` as (100, 60): a limit and its window in seconds (see ``env_rate``)."""
    number, _, period = rate.partition("/")
    return int(number), _PERIODS[period[0]]


def clear_local_counters() -> None:
    """Forget this process's counters (each test starts without any)."""
    _local.clear()


class TokenRateThrottle(SimpleRateThrottle):
    """``API_RATE_LIMIT`` per authenticated user (``"6000/min"``): 429 with ``Retry-After``."""

    scope = "user"

    def get_rate(self) -> str:
        return settings.API_RATE_LIMIT

    def allow_request(self, request, view) -> bool:
        user = request.user
        if user is None or not user.is_authenticated:
            return True  # authentication answered already (401) or the route is public
        verdict = hit(f"api:user:{user.pk}", limit=self.num_requests, window=self.duration)
        self._retry_after = verdict.retry_after
        return verdict.allowed

    def wait(self) -> float:
        return self._retry_after
