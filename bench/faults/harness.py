"""What every fault script shares: the product started as the README's production layout, a
steady load, the fault's window, and what became of every event.

The stack (``Stack``), on free ports: gunicorn with the buffering worker class (2 processes of 4
threads), a Celery worker for ``-Q evaluation`` and one for the rest, Celery beat, over a
scratch PostgreSQL database (migrated afresh, dropped at the end) and a private
``redis-server`` without persistence as broker and cache (the shared one is never touched).
The re-drive runs with ``--redrive-after`` and ``--redrive-interval`` (20 s and 10 s: short,
so that a script runs in about two minutes; the README's defaults are 60 s and 30 s).

The load (``Load``): ``--events`` (2,000) events at ``--rate`` (50/s) over keep-alive
connections, event ``n`` with dedup key ``key-{n mod 200}``: the first event of a key opens its
incident, the others attach to it, whatever the order. A refused connection, a reset or a 5xx
is sent again a second later (as Alertmanager does), up to 10 times.

What is printed (``Figures``), for the events the load sent:

- accepted: answered 202 (an event id); stored: of those, rows in the events table;
  evaluated: of those, evaluated once everything settled (or the wait ran out);
- lost: accepted and not evaluated; duplicated: incidents beyond one per dedup key;
- 5xx: answers 500 and above (each try); errors: connections refused or reset;
- ingest p99: the time to a 202, 99th percentile, during the fault and after it;
- lag p99 and max: from receiving an event to evaluating it, once the fault started;
- recovery: from the fault's end until every event received before it ended was evaluated
  (0 when they all were already): how long the fault's victims wait beyond it. Compare with
  the control (``no_fault.py``): on a busy machine the load alone builds a backlog.
"""

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import redis

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.ingest import (  # noqa: E402
    _descendants,
    fresh_database,
    manage,
    percentile,
    read_response,
    setup_tenant,
)
from pinghome.processes import CELERY, service_env, web_command, worker_command  # noqa: E402

KEYS = 200
RETRIES = 10
REQUEST_TIMEOUT = 10.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def options(description: str, **extra: tuple[type, object, str]) -> argparse.Namespace:
    """The options of every fault script (``extra``: the fault's own, name: (type, default,
    help))."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=50.0, help="events per second")
    parser.add_argument("--fault-at", type=float, default=10.0, help="seconds into the load")
    parser.add_argument("--redrive-after", type=int, default=20)
    parser.add_argument("--redrive-interval", type=int, default=10)
    parser.add_argument("--keep-logs", action="store_true", help="keep the processes' logs")
    parser.add_argument(
        "--admin-database-url", default="postgres://postgres@127.0.0.1:5432/postgres"
    )
    for name, (kind, default, text) in extra.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=kind, default=default, help=text)
    return parser.parse_args()


def main(description: str, own: dict[str, tuple[type, object, str]], run) -> None:
    """A fault script's command line: its options, its run, its figures printed."""
    run(options(description, **own)).print()


# --- the stack ---------------------------------------------------------------------------------


class Stack:
    """The product's processes, each in a session of its own (killed as a group), and the
    broker; started by ``started``."""

    def __init__(self, name: str, opts: argparse.Namespace):
        self.name, self.opts = name, opts
        self.log_dir = Path(tempfile.mkdtemp(prefix=f"pinghome-fault-{name}-"))
        self.port, self.broker_port = free_port(), free_port()
        self.api = f"http://127.0.0.1:{self.port}/v1"
        self.database = ""
        self.broker: subprocess.Popen | None = None
        self.processes: dict[str, subprocess.Popen] = {}
        broker = f"redis://127.0.0.1:{self.broker_port}"
        self.commands = {
            "web": web_command(port=self.port, workers=2),
            "evaluation": worker_command(concurrency=2, queues="evaluation"),
            "worker": worker_command(concurrency=1, queues="default,actions,notifications"),
            "beat": [CELERY, "-A", "pinghome", "beat", "-s", str(self.log_dir / "beat")],
        }
        self.broker_url = f"{broker}/0"
        self.cache_url = f"{broker}/1"

    @classmethod
    @contextmanager
    def started(cls, name: str, opts: argparse.Namespace) -> Iterator["Stack"]:
        stack = cls(name, opts)
        database_name = f"pinghome_fault_{name.replace('-', '_')}"
        stack.database = fresh_database(opts.admin_database_url, database_name)
        try:
            manage(stack.database, "migrate", "--noinput", "-v0")
            stack.start_broker()
            for process in stack.commands:
                stack.start(process)
            stack.wait_until_serving()
            yield stack
        finally:
            for process in list(stack.processes):
                stack.stop(process)
            stack.stop_broker()
            with psycopg.connect(opts.admin_database_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{database_name}" WITH (FORCE)')
            if opts.keep_logs:
                print(f"logs: {stack.log_dir}")
            else:
                shutil.rmtree(stack.log_dir, ignore_errors=True)

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            **service_env(
                database=self.database,
                broker=self.broker_url,
                port=self.port,
                env={
                    "CACHE_URL": self.cache_url,
                    "EVALUATION_REDRIVE_AFTER_SECONDS": str(self.opts.redrive_after),
                    "EVALUATION_REDRIVE_INTERVAL_SECONDS": str(self.opts.redrive_interval),
                },
            ),
        }

    def start(self, name: str) -> None:
        self.processes[name] = subprocess.Popen(
            self.commands[name],
            env=self.env,
            cwd=ROOT,
            stdout=(self.log_dir / f"{name}.log").open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Signal every process of ``name``'s group (a Celery worker and its pool, ...)."""
        with suppress(ProcessLookupError):
            os.killpg(self.processes[name].pid, sig)
        self.processes[name].wait()

    def stop(self, name: str) -> None:
        with suppress(ProcessLookupError):
            os.killpg(self.processes[name].pid, signal.SIGTERM)
        try:
            self.processes[name].wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill(name)

    def web_workers(self) -> list[int]:
        """The pids of gunicorn's worker processes (its master's children)."""
        master = self.processes["web"].pid
        return [pid for pid in _descendants(master) if pid != master]

    def start_broker(self) -> None:
        self.broker = subprocess.Popen(
            [
                *(shutil.which("redis-server") or "redis-server", "--port", str(self.broker_port)),
                *("--bind", "127.0.0.1", "--save", "", "--appendonly", "no"),
            ],
            stdout=(self.log_dir / "redis.log").open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        client = redis.Redis(port=self.broker_port)
        for _ in range(100):
            with suppress(redis.ConnectionError):
                if client.ping():
                    return
            time.sleep(0.05)
        raise RuntimeError("the private redis-server did not start")

    def stop_broker(self) -> None:
        """Stop the broker as a crash does: no persistence, every message it held is gone."""
        if self.broker is not None:
            self.broker.kill()
            self.broker.wait()
            self.broker = None

    def wait_until_serving(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 1) as s:
                s.sendall(b"GET /v1/health-check HTTP/1.0\r\n\r\n")
                if b" 200 " in s.recv(100):
                    return
            time.sleep(0.2)
        raise TimeoutError("the web processes did not answer")

    def execute(self, sql: str, params: tuple = ()) -> list[tuple]:
        with psycopg.connect(self.database, autocommit=True) as connection:
            cursor = connection.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def tenant(self, organization: str, **fields) -> tuple[str, str]:
        """(team id, webhook id) of a new organization whose ruleset keys incidents by
        ``key``."""
        return setup_tenant(
            self.api,
            self.database,
            organization=organization,
            email=f"{organization.lower()}@example.com",
            **fields,
        )


# --- the load ----------------------------------------------------------------------------------


@dataclass
class Sent:
    """One event of the load: when it was first sent, its answer, how many tries it took."""

    seq: int
    key: str
    first_sent: float = 0.0
    event_id: str = ""
    latency: float = 0.0  # of the try that was accepted
    accepted_at: float = 0.0
    server_errors: int = 0
    connection_errors: int = 0


class Load(threading.Thread):
    """``events`` events at ``rate`` per second to ``path``, in the background."""

    def __init__(self, port: int, path: str, *, events: int, rate: float):
        super().__init__(daemon=True)
        self.port, self.path, self.rate = port, path, rate
        self.sent = [Sent(n, f"key-{n % KEYS}") for n in range(events)]
        self.started_at = 0.0

    def run(self) -> None:
        asyncio.run(self._run())

    async def _run(self) -> None:
        pool: asyncio.Queue = asyncio.Queue()
        for _ in range(16):
            pool.put_nowait(None)  # a connection opened at first use
        self.started_at = time.time()
        start = time.monotonic()
        tasks = []
        for event in self.sent:
            await asyncio.sleep(max(0.0, start + event.seq / self.rate - time.monotonic()))
            tasks.append(asyncio.create_task(self._send(event, pool)))
        await asyncio.gather(*tasks)

    async def _send(self, event: Sent, pool: asyncio.Queue) -> None:
        body = json.dumps({"status": "firing", "key": event.key, "seq": event.seq}).encode()
        request = (
            f"POST {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        event.first_sent = time.time()
        for _ in range(RETRIES):
            connection = await pool.get()
            try:
                if connection is None:
                    connection = await asyncio.open_connection("127.0.0.1", self.port)
                started = time.monotonic()
                connection[1].write(request)
                status, answer = await asyncio.wait_for(
                    read_response(connection[0]), REQUEST_TIMEOUT
                )
            except (OSError, ValueError, IndexError, TimeoutError, asyncio.IncompleteReadError):
                event.connection_errors += 1
                if connection is not None:
                    connection[1].close()
                pool.put_nowait(None)
                await asyncio.sleep(1)
                continue
            pool.put_nowait(connection)
            if status == 202:
                event.latency = time.monotonic() - started
                event.accepted_at = time.time()
                event.event_id = json.loads(answer)["event_id"]
                return
            event.server_errors += status >= 500
            await asyncio.sleep(1)


# --- what became of the events -----------------------------------------------------------------


@dataclass
class Figures:
    fault: str
    accepted: int
    stored: int
    evaluated: int
    lost: int
    duplicated: int
    server_errors: int
    connection_errors: int
    ingest_p99_ms: float
    lag_p99_s: float
    lag_max_s: float
    recovery_s: float
    notes: list[str] = field(default_factory=list)

    HEADER = (
        f"{'fault':24} {'accepted':>8} {'stored':>7} {'evaluated':>9} {'lost':>5} "
        f"{'dup.':>5} {'5xx':>5} {'errors':>6} {'ingest p99':>10} {'lag p99':>8} "
        f"{'lag max':>8} {'recovery':>8}"
    )

    def line(self) -> str:
        return (
            f"{self.fault:24} {self.accepted:8} {self.stored:7} {self.evaluated:9} {self.lost:5} "
            f"{self.duplicated:5} {self.server_errors:5} {self.connection_errors:6} "
            f"{self.ingest_p99_ms:8.0f}ms {self.lag_p99_s:7.1f}s {self.lag_max_s:7.1f}s "
            f"{self.recovery_s:7.1f}s"
        )

    def print(self) -> None:
        print(self.HEADER)
        print(self.line())
        for note in self.notes:
            print(f"  {note}")


class Run:
    """A fault script's run: the stack, the load over one organization's webhook, the fault's
    window, then the figures."""

    def __init__(self, stack: Stack, fault: str):
        self.stack, self.fault = stack, fault
        self.team, webhook = stack.tenant("Load")
        self.load = Load(
            stack.port,
            f"/v1/incident/webhook/{webhook}",
            events=stack.opts.events,
            rate=stack.opts.rate,
        )
        self.fault_started = self.fault_ended = 0.0
        self.notes: list[str] = []

    def inject(self, fault: Callable[[], None]) -> "Figures":
        """Run the load, and ``fault`` (which returns once the fault is over) ``--fault-at``
        seconds into it; once everything settled, the figures."""
        self.load.start()
        time.sleep(self.stack.opts.fault_at)
        self.fault_started = time.time()
        fault()
        self.fault_ended = time.time()
        self.load.join()
        self.settle()
        return self.figures()

    def settle(self) -> None:
        """Wait until every accepted event is evaluated, at most until the re-drive must have
        found the last of them (its delay, two intervals, a minute to evaluate them)."""
        opts = self.stack.opts
        deadline = time.time() + opts.redrive_after + 2 * opts.redrive_interval + 60
        ids = self.accepted_ids
        while time.time() < deadline:
            [(left,)] = self.stack.execute(
                "SELECT count(*) FROM webhooks_webhookevent"
                " WHERE id = ANY(%s::uuid[]) AND evaluated_at IS NULL",
                (ids,),
            )
            if not left:
                break
            time.sleep(0.5)

    def lags(self, done: list[tuple[float, float]]) -> str:
        worst: dict[int, float] = {}
        for received, evaluated in done:
            slot = int((received - self.load.started_at) // 5)
            worst[slot] = max(worst.get(slot, 0.0), evaluated - received)
        return " ".join(f"{worst[slot]:.0f}" for slot in sorted(worst))

    @property
    def accepted_ids(self) -> list[str]:
        return [event.event_id for event in self.load.sent if event.event_id]

    def figures(self) -> Figures:
        opts, ids = self.stack.opts, self.accepted_ids
        rows = self.stack.execute(
            "SELECT extract(epoch FROM received_at), extract(epoch FROM evaluated_at)"
            " FROM webhooks_webhookevent WHERE id = ANY(%s::uuid[])",
            (ids,),
        )
        done = [(float(received), float(evaluated)) for received, evaluated in rows if evaluated]
        since_fault = sorted(e - r for r, e in done if e >= self.fault_started)
        [(incidents, keys)] = self.stack.execute(
            "SELECT count(*), count(DISTINCT dedup_key) FROM incidents_incident WHERE team_id = %s",
            (self.team,),
        )
        sent = self.load.sent
        expected_keys = len({event.key for event in sent if event.event_id})
        if keys < expected_keys:
            self.notes.append(f"{expected_keys - keys} dedup key(s) with no incident")
        return Figures(
            fault=self.fault,
            accepted=len(ids),
            stored=len(rows),
            evaluated=len(done),
            lost=len(ids) - len(done),
            duplicated=incidents - keys,
            server_errors=sum(event.server_errors for event in sent),
            connection_errors=sum(event.connection_errors for event in sent),
            ingest_p99_ms=1000
            * percentile(
                sorted(e.latency for e in sent if e.accepted_at >= self.fault_started), 99
            ),
            lag_p99_s=percentile(since_fault, 99),
            lag_max_s=max(since_fault, default=0.0),
            recovery_s=max(
                0.0,
                max((e for r, e in done if r <= self.fault_ended), default=0.0) - self.fault_ended,
            ),
            notes=[
                f"fault from {self.fault_started - self.load.started_at:.1f} s to "
                f"{self.fault_ended - self.load.started_at:.1f} s of the load; re-drive after "
                f"{opts.redrive_after} s every {opts.redrive_interval} s",
                "lag p99 of the events evaluated before the fault: "
                f"{percentile(sorted(e - r for r, e in done if e < self.fault_started), 99):.1f} s"
                f"; worst lag of the events received in each 5 s of the load: {self.lags(done)}",
                *self.notes,
            ],
        )
