"""Apprise URLs (Slack, Teams, ntfy, Telegram, Discord, SMS...): checked before they are kept,
shown with their secrets masked, and sent to with the reason of a failure kept.

The apprise library holds one client per service; we hold none. What it may reach is ours to
bound: no service that acts on this machine (desktop notifications, syslog, a USB device), and
the public-address check of ``pinghome.destinations`` on every host the URL names, when the
URL is kept and again before each send. Apprise makes its own connections, so they cannot be
pinned to the address checked then; instead, while it sends, every address any host name
resolves to in that thread is checked before it connects (``public_resolution``): a second DNS
answer, a redirect or a service's own host reach public addresses only.
"""

import logging
import re
import threading
from functools import lru_cache
from urllib.parse import urlsplit

from notifications.delivery import DeliveryError
from pinghome.destinations import UnsafeDestination, public_address, public_resolution

# Services that act on the machine pinghome runs on rather than on the network.
LOCAL_SCHEMES = frozenset(
    {"syslog", "dbus", "qt", "kde", "glib", "gio", "gnome", "macosx", "windows", "blink1"}
)
# A URL's host part is a network host only for services whose templates name one; ntfy's
# "cloud" mode (ntfy://topic) reaches ntfy.sh.
_NOT_A_HOST = {"NotifyNtfy": lambda plugin: getattr(plugin, "mode", "") == "cloud"}


class InvalidTarget(ValueError):
    """Not an Apprise URL we send to; the message says why."""


def _apprise():
    import apprise  # imported on first use: loading its plugins costs a fraction of a second

    return apprise


def parse(url: str):
    """The Apprise plugin for ``url``, or InvalidTarget."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if not scheme:
        raise InvalidTarget("expected an Apprise URL such as ntfy://ntfy.sh/topic")
    if scheme in LOCAL_SCHEMES:
        raise InvalidTarget(f"{scheme}:// acts on the server itself; use a network service")
    plugin = _apprise().Apprise.instantiate(url)
    if plugin is None:
        raise InvalidTarget(f"{scheme}:// is not a service Apprise can send to with this URL")
    return plugin


def hosts(plugin) -> list[tuple[str, int | None]]:
    """The network hosts (and ports) the plugin will connect to that its URL names."""
    found = []
    tokens = getattr(type(plugin), "template_tokens", {}) or {}
    not_a_host = _NOT_A_HOST.get(type(plugin).__name__)
    if "host" in tokens and getattr(plugin, "host", "") and not (not_a_host and not_a_host(plugin)):
        found.append((plugin.host, getattr(plugin, "port", None)))
    smtp_host = getattr(plugin, "smtp_host", "")
    if smtp_host and smtp_host != getattr(plugin, "host", ""):
        found.append((smtp_host, getattr(plugin, "port", None)))
    return found


def check(url: str):
    """Refuse what we would not send to: not Apprise, local, or a private host.

    Raises InvalidTarget (or DeliveryError from the address check); returns the plugin.
    """
    plugin = parse(url)
    unresolved = None
    for host, port in hosts(plugin):
        try:
            public_address(host, port or 443)
        except UnsafeDestination as exc:
            if exc.permanent:
                raise DeliveryError(str(exc), permanent=True) from None
            unresolved = DeliveryError(str(exc))  # every host is checked for a private one first
    if unresolved:
        raise unresolved
    return plugin


@lru_cache(maxsize=4096)
def masked(url: str) -> str:
    """The URL as Apprise prints it with ``privacy``: tokens and passwords shortened."""
    try:
        plugin = parse(url)
    except InvalidTarget:
        return url.split("://", 1)[0] + "://…"
    shown = plugin.url(privacy=True)
    return shown.split("?", 1)[0]  # the defaults Apprise appends say nothing to a person


def _secrets(url: str, plugin) -> list[str]:
    """Parts of ``url`` that may be secret: everything but the scheme and a network host."""
    public = {host for host, _ in hosts(plugin)}
    parts = urlsplit(url)
    words = re.split(r"[/:@?&=#,]+", url[len(parts.scheme) + 3 :])
    return sorted((w for w in words if len(w) >= 4 and w not in public), key=len, reverse=True)


def scrub(text: str, url: str, plugin) -> str:
    for secret in _secrets(url, plugin):
        text = text.replace(secret, "***")
    return text


class _Warnings(logging.Handler):
    """Apprise's warnings logged by this thread: the reason a notification failed."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.lines: list[str] = []

    def emit(self, record):
        if record.thread == self.thread:
            self.lines.append(record.getMessage())


def send(url: str, title: str, body: str) -> None:
    """Send through Apprise; DeliveryError with Apprise's reason (secrets scrubbed) if it
    failed."""
    try:
        plugin = check(url)
    except InvalidTarget as exc:
        raise DeliveryError(str(exc), permanent=True) from None
    warnings = _Warnings()
    logger = logging.getLogger("apprise")
    logger.addHandler(warnings)
    try:
        # The plugin itself, in this thread (an Apprise object may hand it to a thread pool),
        # where every host it resolves is checked before it connects.
        with public_resolution() as refused:
            sent = plugin.notify(title=title, body=body, body_format=_apprise().NotifyFormat.TEXT)
    finally:
        logger.removeHandler(warnings)
    if not sent:
        reason = "; ".join(refused.reasons[-1:] or warnings.lines[-3:])
        raise DeliveryError(scrub(reason or "Apprise could not send it", url, plugin)[:500])
