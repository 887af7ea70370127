"""Slow clients, for the tests and the fault scripts: connections that send a request's head and
the start of its body, then one more byte now and then, and never finish.

    with slow_clients(port, "/v1/incident/webhook/<id>", count=200) as clients:
        ...  # measure normal requests meanwhile
    clients.opened, clients.closed_by_server, clients.answers

A connection the server closes is opened again, so ``count`` of them press on the server for as
long as the block lasts. Importable without Django set up.
"""

import selectors
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress


class SlowClients(threading.Thread):
    def __init__(
        self,
        port: int,
        path: str,
        count: int,
        *,
        host: str = "127.0.0.1",
        declared_bytes: int = 100_000,
        trickle_seconds: float = 1.0,
    ):
        super().__init__(daemon=True)
        self.address = (host, port)
        self.count = count
        self.head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {declared_bytes}\r\n\r\n"
        ).encode() + b'{"status": "firing", "padding": "'
        self.trickle_seconds = trickle_seconds
        self.opened = 0
        self.closed_by_server = 0
        self.answers: Counter[str] = Counter()  # status lines the server answered with
        self.ready = threading.Event()  # every connection sent its head at least once
        self.stopping = threading.Event()
        self._selector = selectors.DefaultSelector()

    def _open(self) -> None:
        sock = socket.create_connection(self.address, timeout=5)
        sock.sendall(self.head)
        sock.setblocking(False)
        self._selector.register(sock, selectors.EVENT_READ)
        self.opened += 1

    def _closed(self, sock: socket.socket, answer: bytes) -> None:
        self._selector.unregister(sock)
        sock.close()
        self.closed_by_server += 1
        if answer:
            self.answers[answer.split(b"\r\n", 1)[0].decode(errors="replace")] += 1

    def run(self) -> None:
        try:
            for _ in range(self.count):
                self._open()
            self.ready.set()
            next_trickle = time.monotonic() + self.trickle_seconds
            while not self.stopping.is_set():
                for key, _ in self._selector.select(timeout=0.1):
                    try:
                        answer = key.fileobj.recv(65536)
                    except OSError:
                        answer = b""
                    self._closed(key.fileobj, answer)
                    if not self.stopping.is_set():
                        self._open()
                if time.monotonic() >= next_trickle:
                    next_trickle += self.trickle_seconds
                    for key in list(self._selector.get_map().values()):
                        try:
                            key.fileobj.send(b"a")
                        except OSError:
                            self._closed(key.fileobj, b"")
                            self._open()
        finally:
            self.ready.set()
            for key in list(self._selector.get_map().values()):
                with suppress(OSError):
                    key.fileobj.close()
            self._selector.close()

    @property
    def open_now(self) -> int:
        return len(self._selector.get_map() or ())


@contextmanager
def slow_clients(port: int, path: str, count: int, **options) -> Iterator[SlowClients]:
    """``count`` slow connections to ``path`` for the duration of the block."""
    clients = SlowClients(port, path, count, **options)
    clients.start()
    clients.ready.wait(timeout=30)
    try:
        yield clients
    finally:
        clients.stopping.set()
        clients.join(timeout=10)
