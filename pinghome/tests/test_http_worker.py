"""The web worker reads each request whole before a thread serves it: what it lets through,
what it refuses, on raw sockets against gunicorn serving pinghome."""

import json
import os
import socket
import time

import pytest
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from pinghome.http_worker import Framing
from pinghome.processes import database_url, running, service_env, web_command
from webhooks.models import Webhook, WebhookEvent

BROKER = os.environ.get("TEST_BROKER_URL", "redis://127.0.0.1:6379/15")
PORT = int(os.environ.get("TEST_E2E_PORT", "18765")) + 4
MAX_BODY = 100_000  # WEBHOOK_MAX_BODY_BYTES of the server under test

# --------------------------------------------------------------------------- framing


def head(length: int | None = None, *extra: str) -> bytes:
    lines = ["POST /v1/incident/webhook/x HTTP/1.1", "Host: example.com", *extra]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def chunked(*chunks: bytes, trailers: bytes = b"") -> bytes:
    body = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks)
    return head(None, "Transfer-Encoding: chunked") + body + b"0\r\n" + trailers + b"\r\n"


REQUESTS = [
    head(0),
    head(None),
    head(5) + b"hello",
    chunked(b"hello", b" world"),
    chunked(b"x" * 300, trailers=b"X-Checksum: 1\r\n"),
    b"\r\n" + head(2) + b"{}",
]


@given(
    request=st.sampled_from(REQUESTS),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=5),
    following=st.sampled_from([b"", head(0), b"GET / HTTP/1.1\r\n"]),
)
def test_a_request_is_complete_at_its_last_byte_however_it_arrives(request, cuts, following):
    data = request + following
    framing = Framing(max_body=MAX_BODY)
    previous = 0
    for cut in sorted({min(c, len(request) - 1) for c in cuts}):
        framing.feed(data[previous:cut])
        previous = cut
        assert framing.end is None and framing.error is None
    framing.feed(data[previous:])
    taken, rest = framing.take()
    assert taken == request.removeprefix(b"\r\n") and rest == following


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (head(MAX_BODY + 1), (413, f"Body larger than {MAX_BODY} bytes.")),
        (chunked(b"x" * (MAX_BODY + 1)), (413, f"Body larger than {MAX_BODY} bytes.")),
        (b"GET / HTTP/1.1\r\nX: " + b"y" * 70_000, (431, "Request Header Fields Too Large")),
    ],
)
def test_too_large_a_request_is_refused_before_it_is_read(data, error):
    framing = Framing(max_body=MAX_BODY, data=data)
    assert framing.error == error


@pytest.mark.parametrize(
    "faulty",
    [
        head(None, "Content-Length: 5", "Content-Length: 5"),
        head(None, "Content-Length: -1"),
        head(None, "Content-Length: 5", "Transfer-Encoding: chunked"),
        head(None, "Transfer-Encoding: gzip"),
    ],
)
def test_a_request_gunicorn_refuses_for_its_framing_is_complete_with_its_head(faulty):
    framing = Framing(max_body=MAX_BODY, data=faulty + b"hello")
    assert framing.take() == (faulty, b"hello")


def test_a_bad_chunk_size_completes_the_request_at_that_line():
    data = head(None, "Transfer-Encoding: chunked") + b"5\r\nhello\r\nzz\r\n"
    assert Framing(max_body=MAX_BODY, data=data + b"more").take() == (data, b"more")


# --------------------------------------------------------------------------- through gunicorn


READ_TIMEOUT = 4


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock():
        database = database_url(connection.settings_dict)
    env = service_env(
        database=database,
        broker=BROKER,
        port=PORT,
        # Long enough for 13 bodies of 2.45 MB to be sent on a loaded machine before the first
        # one times out (the shared buffer's test), short enough to wait for once.
        env={
            "REQUEST_READ_TIMEOUT_SECONDS": str(READ_TIMEOUT),
            "WEBHOOK_MAX_BODY_BYTES": str(MAX_BODY),
        },
    )
    with running(
        {"web": web_command(port=PORT, workers=1, threads=2)},
        env=env,
        health_url=f"http://127.0.0.1:{PORT}/v1/health-check",
        log_dir=tmp_path_factory.mktemp("web"),
    ):
        yield


@pytest.fixture
def webhook(server, transactional_db, owner):
    return Webhook.objects.create(organization=owner.organization, name="raw")


def ingest_head(webhook, length: int | None, *extra: str) -> bytes:
    lines = [
        f"POST /v1/incident/webhook/{webhook.id} HTTP/1.1",
        f"Host: 127.0.0.1:{PORT}",
        "Content-Type: application/json",
        *extra,
    ]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def connect() -> socket.socket:
    return socket.create_connection(("127.0.0.1", PORT), timeout=5)


def read_responses(sock: socket.socket, count: int) -> list[tuple[int, bytes]]:
    """``count`` responses (status, body) read off ``sock``; 1xx ones included."""
    data, answers = b"", []
    while len(answers) < count:
        while b"\r\n\r\n" not in data:
            more = sock.recv(65536)
            if not more:
                return answers
            data += more
        head_bytes, data = data.split(b"\r\n\r\n", 1)
        status = int(head_bytes.split(b" ", 2)[1])
        length = 0
        for line in head_bytes.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(data) < length:
            data += sock.recv(65536)
        answers.append((status, data[:length]))
        data = data[length:]
    return answers


def stored_bodies(webhook) -> list[bytes]:
    return [bytes(e.body) for e in WebhookEvent.objects.filter(webhook=webhook)]


def test_a_body_trickled_in_pieces_is_stored_whole(webhook):
    body = json.dumps({"status": "firing", "text": "x" * 5000}).encode()
    with connect() as sock:
        sock.sendall(ingest_head(webhook, len(body)))
        for start in range(0, len(body), 1000):
            time.sleep(0.05)
            sock.sendall(body[start : start + 1000])
        [(status, _)] = read_responses(sock, 1)
    assert status == 202
    assert stored_bodies(webhook) == [body]


def test_a_request_not_received_within_the_read_timeout_is_a_408_and_the_connection_closes(
    webhook,
):
    with connect() as sock:
        sock.sendall(ingest_head(webhook, 100) + b'{"status": ')
        start = time.monotonic()
        [(status, body)] = read_responses(sock, 1)
        waited = time.monotonic() - start
        assert sock.recv(1) == b""
    assert status == 408 and json.loads(body) == {
        "message": "The request was not received in time."
    }
    assert READ_TIMEOUT - 0.1 <= waited <= READ_TIMEOUT + 2
    assert stored_bodies(webhook) == []


def test_pipelined_and_chunked_requests_on_one_connection_are_each_answered(webhook):
    first, second = b'{"n": 1}', b'{"n": 2}'
    chunked_body = (b"%x\r\n%s\r\n" % (len(second), second)) + b"0\r\n\r\n"
    with connect() as sock:
        sock.sendall(
            ingest_head(webhook, len(first))
            + first
            + ingest_head(webhook, None, "Transfer-Encoding: chunked")
            + chunked_body
        )
        answers = read_responses(sock, 2)
    assert [status for status, _ in answers] == [202, 202]
    assert sorted(stored_bodies(webhook)) == [first, second]


def test_a_client_expecting_100_continue_is_told_to_send_its_body(webhook):
    body = b'{"status": "firing"}'
    with connect() as sock:
        sock.sendall(ingest_head(webhook, len(body), "Expect: 100-continue"))
        [(status, _)] = read_responses(sock, 1)
        assert status == 100
        sock.sendall(body)
        statuses = [s for s, _ in read_responses(sock, 2)]
    assert statuses[-1] == 202 and set(statuses[:-1]) <= {100}
    assert stored_bodies(webhook) == [body]


def test_a_body_over_every_limit_is_a_413_before_it_is_sent(webhook):
    with connect() as sock:
        sock.sendall(ingest_head(webhook, 10_000_000, "Expect: 100-continue"))
        [(status, body)] = read_responses(sock, 1)
        assert sock.recv(1) == b""
    assert status == 413 and b"larger than" in body


def test_pages_and_the_api_are_served_on_kept_alive_connections(server):
    request = f"GET /v1/health-check HTTP/1.1\r\nHost: 127.0.0.1:{PORT}\r\n\r\n".encode()
    with connect() as sock:
        for _ in range(3):
            sock.sendall(request)
            [(status, body)] = read_responses(sock, 1)
            assert status == 200 and json.loads(body)["message"] == "Service is operational."
        sock.sendall(f"GET /login HTTP/1.1\r\nHost: 127.0.0.1:{PORT}\r\n\r\n".encode())
        [(status, body)] = read_responses(sock, 1)
    assert status == 200 and b"<form" in body


def test_requests_being_read_share_a_bounded_buffer_beyond_which_one_is_a_503(webhook):
    part = 2_450_000  # under the 2.5 MB body limit; 14 of them exceed the 32 MiB budget
    sockets = [connect() for _ in range(14)]
    try:
        for sock in sockets[:13]:
            sock.sendall(ingest_head(webhook, part + 100) + b"x" * part)
        last = sockets[13]
        last.sendall(ingest_head(webhook, part + 100))
        try:
            last.sendall(b"x" * part)
        except OSError:
            pass  # refused mid-way: the answer is waiting
        [(status, body)] = read_responses(last, 1)
        assert status == 503 and json.loads(body)["message"].startswith("Too many requests")
        with connect() as sock:  # a small request is still served
            sock.sendall(ingest_head(webhook, 2) + b"{}")
            assert read_responses(sock, 1)[0][0] == 202
    finally:
        for sock in sockets:
            sock.close()
