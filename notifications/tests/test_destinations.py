"""Outgoing webhooks reach public addresses only, however written, and the address checked."""

import http.server
import ipaddress
import socket
import ssl
import subprocess
import threading

import pytest
import requests
from django.utils import timezone

from notifications.models import ContactMethod
from notifications.tests.receivers import Receiver
from notifications.tests.test_routing import open_incident, page_me_by, timeline
from pinghome import destinations
from pinghome.destinations import Destination, pinned_session

pytestmark = pytest.mark.django_db

PRIVATE_TARGETS = [
    "http://127.0.0.1/x",
    "http://localhost:8000/x",
    "http://[::1]/x",
    "http://[::127.0.0.1]/x",  # IPv4-compatible IPv6
    "http://[::ffff:127.0.0.1]/x",  # IPv4-mapped
    "http://[::ffff:7f00:1]/x",
    "http://[2002:7f00:1::1]/x",  # 6to4 of 127.0.0.1
    "http://[64:ff9b::a00:1]/x",  # NAT64 of 10.0.0.1
    "http://0.0.0.0/x",
    "http://10.1.2.3/x",
    "http://100.64.0.1/x",  # shared address space
    "http://169.254.169.254/latest/meta-data",
    "http://[fe80::1]/x",
    "http://[fd00::1]/x",
    "http://224.0.0.1/x",
]


# IPv4 in decimal, hex, octal or shortened: not a valid URL host at creation; resolved at send
# time as the C library reads them (127.0.0.1), which is refused then.
NUMERIC_IPV4_TARGETS = [
    "http://2130706433/x",
    "http://0x7f000001/x",
    "http://017700000001/x",
    "http://0177.0.0.1/x",
    "http://127.1/x",
]


@pytest.mark.parametrize("target", PRIVATE_TARGETS + NUMERIC_IPV4_TARGETS)
def test_a_private_webhook_is_refused_at_creation_naming_target(owner, target):
    body = {"type": "webhook", "target": target}
    response = owner.api.post("/v1/user/contact-method", body)
    assert response.status_code == 422, response.content
    reasons = response.json()["errors"]["target"]
    assert target in NUMERIC_IPV4_TARGETS or "non-public address" in reasons[0], reasons
    assert not ContactMethod.objects.exists()


def test_a_public_target_and_one_that_does_not_resolve_yet_are_saved(owner, monkeypatch):
    def resolve(host, port, *args, **kwargs):
        if host == "hooks.example.com":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    for target in ("https://hooks.example.com/pinghome", "https://not-yet.example.com/x"):
        body = {"type": "webhook", "target": target}
        response = owner.api.post("/v1/user/contact-method", body)
        assert response.status_code == 201, response.content


def verified_webhook(persona, target: str) -> None:
    """A webhook contact method saved as it is (checked once, or before a stricter check)."""
    method = ContactMethod.objects.create(
        user=persona.user, type="webhook", target=target, verified_at=timezone.now()
    )
    page_me_by(persona, str(method.id))


@pytest.mark.parametrize(
    "target", ["http://[::127.0.0.1]:9/x", "http://0x7f000001:9/x", "http://127.1:9/x"]
)
def test_a_private_target_saved_earlier_is_refused_at_send_time(owner, target):
    verified_webhook(owner, target)
    incident_id = open_incident(
        owner, assignees=[{"type": "team_member", "id": str(owner.member.id)}]
    )
    [entry] = timeline(owner, incident_id, "notification-failed")
    assert "non-public address" in entry["message"]


def test_the_post_goes_to_the_address_checked_with_the_host_name_in_host(
    owner, settings, monkeypatch
):
    """A host resolved twice may answer differently the second time (DNS rebinding): it is
    resolved once, and the connection goes to that address."""
    settings.NOTIFY_ALLOW_PRIVATE_ADDRESSES = True  # the receiver listens on loopback
    receiver = Receiver()
    port = receiver.server.server_port
    lookups = []
    real_getaddrinfo = socket.getaddrinfo

    def rebinding(host, *args, **kwargs):
        if host != "hooks.example.test":
            return real_getaddrinfo(host, *args, **kwargs)
        lookups.append(host)
        address = "127.0.0.1" if len(lookups) == 1 else "127.0.0.2"  # nothing listens there
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, args[0]))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    verified_webhook(owner, f"http://hooks.example.test:{port}/hook")
    try:
        incident_id = open_incident(
            owner, assignees=[{"type": "team_member", "id": str(owner.member.id)}]
        )
    finally:
        receiver.server.shutdown()
    [(headers, _)] = receiver.requests
    assert headers["Host"] == f"hooks.example.test:{port}"
    assert lookups == ["hooks.example.test"]
    assert timeline(owner, incident_id, "notified")


@pytest.fixture
def tls_receiver(tmp_path):
    """An HTTPS endpoint on loopback with a certificate for hooks.example.test; what it saw."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-keyout", str(key), "-out", str(cert), "-subj", "/CN=hooks.example.test"]
        + ["-addext", "subjectAltName=DNS:hooks.example.test"],
        check=True,
        capture_output=True,
    )
    seen = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            seen["host"] = self.headers["Host"]
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: seen.update(server_name=name)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_port, cert, seen
    server.shutdown()


def test_tls_to_the_pinned_address_names_and_verifies_the_host(tls_receiver):
    port, cert, seen = tls_receiver
    loopback = ipaddress.ip_address("127.0.0.1")
    good = Destination(f"https://hooks.example.test:{port}/x", "hooks.example.test", loopback)
    with pinned_session(good) as session:
        assert session.post(good.url, data=b"{}", verify=str(cert), timeout=5).status_code == 200
    assert seen == {"server_name": "hooks.example.test", "host": f"hooks.example.test:{port}"}

    wrong = Destination(f"https://other.example.test:{port}/x", "other.example.test", loopback)
    with pinned_session(wrong) as session, pytest.raises(requests.exceptions.SSLError):
        session.post(wrong.url, data=b"{}", verify=str(cert), timeout=5)


# --- Apprise URLs: every host they name, at creation, before each send, and while sending ----

PRIVATE_APPRISE_TARGETS = [
    "json://127.0.0.1/x",
    "json://localhost:8000/x",
    "json://LOCALHOST./x",
    "json://2130706433/x",  # 127.0.0.1 in decimal, hex and octal
    "json://0x7f000001/x",
    "json://017700000001/x",
    "json://[::1]/x",
    "json://[::127.0.0.1]/x",
    "json://[::ffff:127.0.0.1]/x",
    "json://[0:0:0:0:0:ffff:7f00:1]:80/x",
    "json://[2002:7f00:1::1]/x",
    "json://[64:ff9b::a00:1]/x",
    "jsons://[fe80::1]/x",
    "form://10.1.2.3/x",
    "xml://169.254.169.254/latest",
    "json://user:password@100.64.0.1/x",
    "ntfy://127.0.0.1/topic",
    "gotify://127.0.0.1/token",
    "mailto://user:pass@example.com?smtp=127.0.0.1",
]


@pytest.mark.parametrize("target", PRIVATE_APPRISE_TARGETS)
def test_a_private_apprise_host_is_refused_at_creation_in_any_spelling(owner, target):
    method = owner.api.post("/v1/user/contact-method", {"type": "apprise", "target": target})
    channel = owner.api.post(f"/v1/team/{owner.team.id}/chat-channel", {"target": target})
    for response in (method, channel):
        assert response.status_code == 422, response.content
        assert "non-public address" in response.json()["errors"]["target"][0]


def test_a_public_ipv6_apprise_host_is_kept(owner):
    target = "json://[2606:4700:4700::1111]/x"
    response = owner.api.post("/v1/user/contact-method", {"type": "apprise", "target": target})
    assert response.status_code == 201, response.content


def verified_apprise(persona, target: str) -> None:
    method = ContactMethod.objects.create(
        user=persona.user, type="apprise", target=target, verified_at=timezone.now()
    )
    page_me_by(persona, str(method.id))


@pytest.mark.parametrize("spelling", ["127.0.0.1", "2130706433", "[0:0:0:0:0:ffff:7f00:1]"])
def test_a_private_apprise_host_saved_earlier_is_refused_at_send_time(owner, spelling):
    receiver = Receiver()
    try:
        verified_apprise(owner, f"json://{spelling}:{receiver.server.server_port}/x")
        incident_id = open_incident(
            owner, assignees=[{"type": "team_member", "id": str(owner.member.id)}]
        )
    finally:
        receiver.server.shutdown()
    assert receiver.requests == []
    [entry] = timeline(owner, incident_id, "notification-failed")
    assert "non-public address" in entry["message"]


def test_apprise_connects_only_to_public_addresses_whatever_a_later_dns_answer(owner, monkeypatch):
    """Apprise resolves the host again when it connects (a rebinding DNS answers with loopback
    then): that answer is checked too, and nothing reaches the receiver on loopback."""
    receiver = Receiver()
    lookups = []
    real = destinations._system_getaddrinfo

    def rebinding(host, port, *args, **kwargs):
        if host != "hooks.example.test":
            return real(host, port, *args, **kwargs)
        lookups.append(host)
        address = "93.184.216.34" if len(lookups) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(destinations, "_system_getaddrinfo", rebinding)
    verified_apprise(owner, f"json://hooks.example.test:{receiver.server.server_port}/x")
    lookups.clear()  # the check at creation
    try:
        incident_id = open_incident(
            owner, assignees=[{"type": "team_member", "id": str(owner.member.id)}]
        )
    finally:
        receiver.server.shutdown()
    assert receiver.requests == []
    assert len(lookups) >= 2, "checked before sending, then resolved by Apprise"
    [entry] = timeline(owner, incident_id, "notification-failed")
    assert "hooks.example.test resolves to a non-public address (127.0.0.1)" in entry["message"]


def test_resolving_outside_a_send_is_left_alone(settings):
    assert socket.getaddrinfo("localhost", 80)  # another thread's or a later lookup
    with destinations.public_resolution() as refused:
        with pytest.raises(socket.gaierror):
            socket.getaddrinfo("localhost", 80)
    assert refused.reasons == ["localhost resolves to a non-public address (127.0.0.1)"]
    assert socket.getaddrinfo("localhost", 80)
