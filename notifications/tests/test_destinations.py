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
