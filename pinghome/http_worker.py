"""A gunicorn worker that reads each request whole before one of its threads serves it.

gunicorn's threaded worker (``gthread``) hands a connection to a thread as soon as its first
bytes arrive; the thread then reads the rest of the request, waiting as long as the client
takes. Eight connections that send a head and part of a body held every thread of the embedded
default, and every alert waited. Here the worker's main loop reads requests without blocking
(as nginx does in front of an application server) and only a complete request reaches a
thread, from memory: a slow client costs a socket and its bytes, not a thread.

    gunicorn pinghome.wsgi --worker-class pinghome.http_worker.BufferingWorker --threads 4

Bounds: the whole request (head and body) must arrive within ``REQUEST_READ_TIMEOUT_SECONDS``
of its first byte (else 408); a head is at most 64 KiB (else 431), a body at most the larger of
``WEBHOOK_MAX_BODY_BYTES`` and Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (else 413); beyond
16 KiB per connection, requests being read share ``SHARED_BUFFER_BYTES`` per process (else 503).
Connections are capped by gunicorn's ``--worker-connections`` (1000 per process by default).
TLS is terminated before gunicorn (the reverse proxy), never by this worker.
"""

import ctypes
import heapq
import itertools
import json
import re
import selectors
import time
from functools import partial

from gunicorn import http
from gunicorn.workers.gthread import ThreadWorker

MAX_HEAD_BYTES = 64 * 1024
FREE_BYTES_PER_CONNECTION = 16 * 1024
SHARED_BUFFER_BYTES = 32 * 1024 * 1024
RECV_BYTES = 256 * 1024
DEFAULT_READ_TIMEOUT_SECONDS = 30.0
DEFAULT_MAX_BODY_BYTES = 2621440  # Django's DATA_UPLOAD_MAX_MEMORY_SIZE

LARGE_BUFFER_BYTES = 32 * 1024
M_MMAP_THRESHOLD = -3  # glibc's mallopt() parameter

CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_HEX = re.compile(rb"[0-9A-Fa-f]{1,16}")


class Framing:
    """Where one HTTP/1.1 request ends in the bytes received so far, read as gunicorn reads it.

    ``end`` is set once the request is complete (the bytes after it belong to the next one);
    ``error`` is an answer (status, reason) when it must be refused. A request whose framing
    gunicorn rejects (two lengths, an unknown coding, a bad length or chunk size) is complete
    at the faulty part: gunicorn answers 400 without waiting for more.
    """

    def __init__(self, *, max_body: int, data: bytes = b""):
        self.max_body = max_body
        self.buffer = bytearray()
        self.end: int | None = None
        self.error: tuple[int, str] | None = None
        self.expects_continue = False
        self._scanned = 0  # head: bytes searched for its end; chunked: next chunk-size line
        self._head_end = -1
        self._length: int | None = None  # Content-Length framing
        self._chunked = False
        self._body_bytes = 0
        if data:
            self.feed(data)

    def feed(self, data: bytes) -> None:
        self.buffer += data
        if self.end is None and self.error is None:
            self._scan()

    def take(self) -> tuple[bytes, bytes]:
        """The complete request and what follows it (a pipelined request)."""
        data = bytes(self.buffer)
        return data[: self.end], data[self.end :]

    def _scan(self) -> None:
        buffer = self.buffer
        if self._head_end < 0:
            while buffer[:2] == b"\r\n":  # empty lines before a request line are ignored
                del buffer[:2]
            found = buffer.find(b"\r\n\r\n", max(0, self._scanned - 3))
            if found < 0:
                self._scanned = len(buffer)
                if len(buffer) > MAX_HEAD_BYTES:
                    self.error = (431, "Request Header Fields Too Large")
                return
            self._head_end = self._scanned = found + 4
            if not self._read_head(bytes(buffer[:found])):
                return
        if self._length is not None:
            if len(buffer) >= self._head_end + self._length:
                self.end = self._head_end + self._length
        elif self._chunked:
            self._scan_chunks()

    def _read_head(self, head: bytes) -> bool:
        """Learn the body's framing; False when the request ends with its head."""
        request_line, *lines = head.split(b"\r\n")
        lengths, codings = [], []
        for line in lines:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                lengths.append(value.strip())
            elif name == b"transfer-encoding":
                codings.extend(c.strip().lower() for c in value.split(b","))
            elif name == b"expect":
                self.expects_continue = value.strip().lower() == b"100-continue"
        if request_line.endswith(b"HTTP/1.0"):
            self.expects_continue = False
        if codings:
            if codings[-1] != b"chunked" or lengths:
                return self._ends_here()  # gunicorn answers 400
            self._chunked = True
            return True
        if not lengths:
            return self._ends_here()
        if len(lengths) > 1 or not (lengths[0].isdigit() and len(lengths[0]) <= 18):
            return self._ends_here()  # gunicorn answers 400
        self._length = int(lengths[0])
        if self._length > self.max_body:
            self.error = (413, f"Body larger than {self.max_body} bytes.")
            return False
        if not self._length:
            return self._ends_here()
        return True

    def _ends_here(self) -> bool:
        self.end = self._head_end
        self.expects_continue = False
        return False

    def _scan_chunks(self) -> None:
        buffer = self.buffer
        while True:
            line_end = buffer.find(b"\r\n", self._scanned)
            if line_end < 0:
                if len(buffer) - self._scanned > MAX_HEAD_BYTES:
                    self.error = (431, "Request Header Fields Too Large")
                return
            size_text = bytes(buffer[self._scanned : line_end]).split(b";")[0].rstrip(b" \t")
            if not _HEX.fullmatch(size_text):
                self.end = line_end + 2  # gunicorn answers 400 at this line
                return
            size = int(size_text, 16)
            if size == 0:  # the last chunk, then trailer lines up to an empty one
                if buffer[line_end + 2 : line_end + 4] == b"\r\n":
                    self.end = line_end + 4
                    return
                trailers_end = buffer.find(b"\r\n\r\n", line_end)
                if trailers_end >= 0:
                    self.end = trailers_end + 4
                elif len(buffer) - line_end > MAX_HEAD_BYTES:
                    self.error = (431, "Request Header Fields Too Large")
                return
            self._body_bytes += size
            if self._body_bytes > self.max_body:
                self.error = (413, f"Body larger than {self.max_body} bytes.")
                return
            data_end = line_end + 2 + size + 2
            if len(buffer) < data_end:
                self._body_bytes -= size  # counted again when the chunk is complete
                return
            self._scanned = data_end


class BufferingWorker(ThreadWorker):
    """gunicorn's threaded worker, with requests read whole by its main loop first."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.read_timeout = DEFAULT_READ_TIMEOUT_SECONDS
        self.max_body = DEFAULT_MAX_BODY_BYTES
        self.reading: dict = {}  # connection -> Framing of the request being read
        self.registered: set = set()  # connections of ``reading`` in the poller
        self.pipelined: dict = {}  # connection -> bytes received after its request
        self.deadlines: list = []  # heap of (deadline, sequence, connection)
        self.sequence = itertools.count()
        self.shared_used = 0

    def init_process(self):
        _give_back_large_buffers()
        super().init_process()

    @classmethod
    def check_config(cls, cfg, log):
        super().check_config(cfg, log)
        if cfg.is_ssl or cfg.proxy_protocol != "off" or cfg.protocol != "http":
            raise RuntimeError("BufferingWorker serves plain HTTP/1.1: terminate TLS before it")

    def load_wsgi(self):
        super().load_wsgi()
        from django.conf import settings

        if settings.configured:  # pinghome (the bench's baseline app has no Django)
            self.read_timeout = float(settings.REQUEST_READ_TIMEOUT_SECONDS)
            self.max_body = max(
                settings.WEBHOOK_MAX_BODY_BYTES, settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
            )

    # --- the thread pool's entry: every path to a thread comes through here ------------------

    def enqueue_req(self, conn):
        """Read the connection's next request without blocking; a thread serves it once whole."""
        conn.sock.setblocking(False)
        framing = Framing(max_body=self.max_body)
        self.reading[conn] = framing
        deadline = time.monotonic() + self.read_timeout
        conn.read_deadline = deadline
        heapq.heappush(self.deadlines, (deadline, next(self.sequence), conn))
        pipelined = self.pipelined.pop(conn, b"")
        if pipelined and self._received(conn, framing, pipelined):
            return
        if not self._receive(conn):
            self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, conn))
            self.registered.add(conn)

    def _on_readable(self, conn, _sock):
        self._receive(conn)

    def _receive(self, conn) -> bool:
        """Read what the socket holds; True once the request left this stage (served or shut)."""
        framing = self.reading[conn]
        while True:
            try:
                data = conn.sock.recv(RECV_BYTES)
            except (BlockingIOError, InterruptedError):
                return False
            except OSError:
                self._close(conn)
                return True
            if not data:
                self._close(conn)
                return True
            if self._received(conn, framing, data):
                return True

    def _received(self, conn, framing: Framing, data: bytes) -> bool:
        before = len(framing.buffer)
        framing.feed(data)
        grown = _shared(len(framing.buffer)) - _shared(before)
        if self.shared_used + grown > SHARED_BUFFER_BYTES:
            self._refuse(conn, 503, "Too many requests being received; send it again.")
            return True
        self.shared_used += grown
        if framing.error:
            self._refuse(conn, *framing.error)
            return True
        if framing.end is not None:
            self._dispatch(conn, framing)
            return True
        if framing.expects_continue:
            framing.expects_continue = False
            try:
                conn.sock.send(CONTINUE)
            except OSError:
                pass  # the client sends its body after a while anyway
        return False

    def _dispatch(self, conn, framing: Framing):
        self._forget(conn)
        request, rest = framing.take()
        if rest:
            self.pipelined[conn] = rest
        # The request is parsed from memory: the thread never reads the socket.
        conn.parser = http.get_parser(self.cfg, [request], conn.client)
        conn.initialized = conn.data_ready = True
        super().enqueue_req(conn)

    def finish_request(self, conn, fs):
        if conn in self.pipelined:
            if self.alive and not fs.cancelled() and fs.exception() is None and fs.result() is True:
                self.enqueue_req(conn)  # the next request was sent already
                return
            del self.pipelined[conn]
        super().finish_request(conn, fs)

    # --- ends of the reading stage ---------------------------------------------------------------

    def _forget(self, conn):
        framing = self.reading.pop(conn)
        self.shared_used -= _shared(len(framing.buffer))
        if conn in self.registered:
            self.registered.discard(conn)
            self.poller.unregister(conn.sock)

    def _close(self, conn):
        self._forget(conn)
        self.pipelined.pop(conn, None)
        self.nr_conns -= 1
        conn.close()

    def _refuse(self, conn, status: int, message: str):
        body = json.dumps({"message": message}).encode()
        head = (
            f"HTTP/1.1 {status} {_REASONS[status]}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n"
        )
        if status == 503:
            head += "Retry-After: 1\r\n"
        try:
            conn.sock.send(head.encode() + b"\r\n" + body)
        except OSError:
            pass
        self._close(conn)

    def murder_pending(self):
        """Also refuse the requests not received in time (and, when stopping, idle sockets)."""
        super().murder_pending()
        now = time.monotonic()
        while self.deadlines and self.deadlines[0][0] <= now:
            deadline, _, conn = heapq.heappop(self.deadlines)
            if conn in self.reading and conn.read_deadline == deadline:
                if self.reading[conn].buffer:
                    self._refuse(conn, 408, "The request was not received in time.")
                else:
                    self._close(conn)
        if not self.alive:
            for conn, framing in list(self.reading.items()):
                if not framing.buffer:
                    self._close(conn)


def _give_back_large_buffers() -> None:
    """Buffers of 32 KiB and more are mapped apart and returned to the system when freed.

    With glibc's default they stay in the arena of the thread that freed them: four threads
    reading 1 MB events left a web process at about 200 MB, 150 MB with this.
    """
    try:
        ctypes.CDLL(None).mallopt(M_MMAP_THRESHOLD, LARGE_BUFFER_BYTES)
    except (OSError, AttributeError):
        pass  # not glibc: its own allocator's defaults


def _shared(buffered: int) -> int:
    """The part of a connection's buffer drawn from the shared budget."""
    return max(0, buffered - FREE_BYTES_PER_CONNECTION)


_REASONS = {
    408: "Request Timeout",
    413: "Content Too Large",
    431: "Request Header Fields Too Large",
    503: "Service Unavailable",
}
