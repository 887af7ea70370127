"""The product's health for operators: ``/metrics`` for Prometheus and the health check's probes.

``/metrics`` answers the counters of ``pinghome.metrics`` (added up over every process writing
to ``PROMETHEUS_MULTIPROC_DIR``) and gauges read from the database at scrape time. It is for a
Prometheus server only: a request needs ``METRICS_TOKEN`` as its bearer token, or to come from
an address of ``METRICS_ALLOWED_IPS``; with neither set, every request is refused (403).
"""

import hmac
import ipaddress
import logging
from collections.abc import Iterator
from functools import lru_cache

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.models import Min
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views import View
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from pinghome import metrics
from pinghome.celery import app as celery_app
from pinghome.client_ip import client_ip
from pinghome.memo import ShortLived
from rulesets import heartbeats
from webhooks.models import WebhookEvent

logger = logging.getLogger(__name__)


class DatabaseGauges:
    """Gauges read from the database at each scrape; none when it cannot be read."""

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        try:
            # The pending index's first entry.
            oldest = WebhookEvent.objects.filter(evaluated_at__isnull=True).aggregate(
                oldest=Min("received_at")
            )["oldest"]
            overdue = heartbeats.overdue_count(now)
        except DatabaseError:
            logger.exception("metrics: the database could not be read")
            return
        yield GaugeMetricFamily(
            "pinghome_oldest_unevaluated_event_age_seconds",
            "Age of the oldest event stored and not evaluated yet (0: none is waiting).",
            value=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
        )
        yield GaugeMetricFamily(
            "pinghome_heartbeats_overdue",
            "Heartbeats (not paused) that heard no event for their period and grace.",
            value=overdue,
        )


def scrape() -> bytes:
    """The metrics in Prometheus's text format."""
    registry = CollectorRegistry(auto_describe=False)
    if metrics.MULTIPROCESS_DIR:
        MultiProcessCollector(registry, path=metrics.MULTIPROCESS_DIR)
    else:
        registry.register(metrics.registry)
    registry.register(DatabaseGauges())
    return generate_latest(registry)


def may_scrape(request: HttpRequest) -> bool:
    """The bearer token is ``METRICS_TOKEN``, or the client's address is allowed."""
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(header.encode(), f"Bearer {token}".encode()):
        return True
    allowed = _networks(tuple(settings.METRICS_ALLOWED_IPS))
    address = client_ip(request.META)
    return bool(allowed and address) and any(
        ipaddress.ip_address(address) in network for network in allowed
    )


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


class MetricsView(View):
    http_method_names = ["get"]

    def get(self, request: HttpRequest) -> HttpResponse:
        if not may_scrape(request):
            return JsonResponse(
                {
                    "message": "Metrics are for a Prometheus server: send METRICS_TOKEN as a "
                    "bearer token, or scrape from an address of METRICS_ALLOWED_IPS."
                },
                status=403,
            )
        return HttpResponse(scrape(), content_type=CONTENT_TYPE_LATEST)


# --- the health check's probes ---------------------------------------------------------------

BROKER_TIMEOUT_SECONDS = 1.0


def database_reachable() -> bool:
    """Whether a statement runs on the database now."""
    db = connections[DEFAULT_DB_ALIAS]
    try:
        with db.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError:
        logger.warning("health check: the database cannot be reached", exc_info=True)
        db.close_if_unusable_or_obsolete()
        return False


# A load balancer asks often: the broker is asked at most every 5 s per process.
_broker_states = ShortLived(seconds=5)


def broker_state() -> str:
    """``ok``, ``unreachable``, or ``none`` when tasks run in-process (no broker set)."""
    if not settings.CELERY_BROKER_URL:
        return "none"
    return _broker_states.get(settings.CELERY_BROKER_URL, _ask_broker)


def _ask_broker() -> str:
    try:
        with celery_app.connection_for_write(
            settings.CELERY_BROKER_URL, connect_timeout=BROKER_TIMEOUT_SECONDS
        ) as broker:
            broker.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT_SECONDS
            )
            broker.default_channel  # noqa: B018 - opening a channel is what talks to the broker
    except Exception:  # noqa: BLE001 - whatever the transport raises, the broker is not there
        logger.warning("health check: the broker cannot be reached", exc_info=True)
        return "unreachable"
    return "ok"
