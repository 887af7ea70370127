"""Ingest benchmark: pinghome under gunicorn on PostgreSQL with a Celery worker on Redis.

    .venv/bin/python bench/ingest.py [--seconds 10] [--connections 16]

Phases, each event of them opening an incident of its own (the costliest path):

1. saturation: as many POSTs as the connections carry; accepted events per second and ingest
   latency (p50/p99). The worker runs at a lower CPU priority (``--worker-niceness``): on a
   shared machine accepting comes first and evaluation catches up.
2. drain: the backlog left by phase 1 gives how many incidents per second the worker opens
   in large batches; then paced phases, each 20% slower, find the highest rate it keeps up
   with when events arrive live (small batches): the pipeline's saturation rate.
3. event-to-incident: POSTs paced at half the pipeline's saturation rate; time from each POST
   to its incident being visible (committed to the table the API reads; p50/p99). When half
   the ingest rate is higher still, a second paced phase at that rate shows it too.
4. the same saturation for a bare baseline app on the same stack (one INSERT per request),
   before and after each round of phase 1 (``--rounds``, default 4): each round's ratio is
   taken against the two baselines around it, and the ratio printed is their mean.

The peak resident memory of every web and worker process is sampled through the run, and the
CPU time of each group of processes (web, worker, PostgreSQL, load generators) is printed per
event for each phase.
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import psycopg
import redis
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.baseline_app import create_table  # noqa: E402
from pinghome.processes import running, service_processes, web_command  # noqa: E402

# --- load generation (separate processes) ---------------------------------------------------


def _client(args) -> tuple[int, int, list[float], list[tuple[str, float]]]:
    """One load process: ``connections`` keep-alive connections, optionally paced to ``rate``/s.

    asyncio on raw sockets: a request costs this machine (shared with the service under test)
    a fraction of what ``http.client`` in threads did, most of all when paced.
    """
    return asyncio.run(_load(*args))


async def _load(port, path, start_at, seconds, connections, rate, unique_keys):
    await asyncio.sleep(max(0.0, start_at - time.time()))
    latencies: list[float] = []
    sent: list[tuple[str, float]] = []
    counts = [0, 0]
    deadline = time.monotonic() + seconds
    interval = connections / rate if rate else 0.0
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"

    async def run(index: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        next_at = time.monotonic() + (interval * index / connections if interval else 0)
        n = 0
        while time.monotonic() < deadline:
            if interval:
                pause = next_at - time.monotonic()
                if pause > 0:
                    await asyncio.sleep(pause)
                next_at += interval
            key = uuid.uuid4().hex if unique_keys else f"service-{n % 50}"
            n += 1
            body = json.dumps({"status": "firing", "key": key, "message": "disk full"}).encode()
            start, wall = time.perf_counter(), time.time()
            try:
                writer.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
                ok = (await read_response(reader))[0] == 202
            except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                ok = False
            elapsed = time.perf_counter() - start
            counts[0 if ok else 1] += 1
            if ok:
                latencies.append(elapsed)
                if unique_keys:
                    sent.append((key, wall))
        writer.close()

    await asyncio.gather(*(run(i) for i in range(connections)))
    return counts[0], counts[1], latencies, sent


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """Read one HTTP/1.1 response (sized or chunked body); its status code and body."""
    status = int((await reader.readline()).split()[1])
    length, chunked = 0, False
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
    if not chunked:
        return status, await reader.readexactly(length)
    body = b""
    while size := int((await reader.readline()).split(b";")[0], 16):
        body += (await reader.readexactly(size + 2))[:-2]
    await reader.readline()  # the blank line after the last chunk
    return status, body


# The load processes start (spawn, imports: about half a second of CPU each) before the
# measured window opens, not during it, where they competed with the service under test.
START_DELAY_SECONDS = 1.5


def drive(port, path, *, seconds, connections, rate=None, unique_keys=False, processes=2):
    per_process = max(1, connections // processes)
    per_process_rate = rate / processes if rate else None
    start_at = time.time() + START_DELAY_SECONDS
    jobs = [(port, path, start_at, seconds, per_process, per_process_rate, unique_keys)]
    jobs *= processes
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        results = pool.map(_client, jobs)
    accepted = sum(r[0] for r in results)
    return {
        "accepted": accepted,
        "errors": sum(r[1] for r in results),
        "per_second": accepted / seconds,
        "latencies": sorted(x for r in results for x in r[2]),
        "sent": [s for r in results for s in r[3]],
    }


def pooled(phases: list[dict]) -> dict:
    """Several phases of ``drive`` as one: mean rate, every latency, every error."""
    return {
        "per_second": sum(phase["per_second"] for phase in phases) / len(phases),
        "latencies": sorted(x for phase in phases for x in phase["latencies"]),
        "errors": sum(phase["errors"] for phase in phases),
    }


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


# --- memory ---------------------------------------------------------------------------------


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class MemorySampler(threading.Thread):
    """Samples the RSS of every process of each group; keeps first, last and peak per pid."""

    def __init__(self, roots: dict[str, int]):
        super().__init__(daemon=True)
        self.roots, self.samples, self.stop = roots, {}, threading.Event()

    def run(self):
        while not self.stop.is_set():
            for group, root in self.roots.items():
                for pid in _descendants(root):
                    rss = _rss_kib(pid)
                    if rss:
                        first, _, peak = self.samples.get((group, pid), (rss, rss, rss))
                        self.samples[(group, pid)] = (first, rss, max(peak, rss))
            self.stop.wait(0.5)


# --- CPU ------------------------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(root: int) -> float:
    """CPU time of a process tree so far (user + system, reaped children included)."""
    ticks = 0
    for pid in _descendants(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / CLOCK_TICKS


def postmaster_pid() -> int | None:
    """The local PostgreSQL server's main process, when it runs on this machine."""
    for pid_file in Path("/var/run/postgresql").glob("*.pid"):
        try:
            return int(pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return None


class CpuMeter:
    """CPU seconds spent by each process group over a phase: the services' own trees,
    PostgreSQL's, and the rest of this process's tree (the load generators)."""

    def __init__(self, roots: dict[str, int]):
        self.roots = roots

    def snapshot(self) -> dict[str, float]:
        used = {group: _cpu_seconds(root) for group, root in self.roots.items()}
        services = sum(used[group] for group in self.roots if group != "postgres")
        return {**used, "load": _cpu_seconds(os.getpid()) - services}

    @contextmanager
    def phase(self, into: dict[str, float]):
        before = self.snapshot()
        yield
        after = self.snapshot()
        into.update({group: after[group] - before[group] for group in before})


def cpu_line(label: str, used: dict[str, float], events: int) -> str:
    per_event = ", ".join(
        f"{group} {seconds / max(events, 1) * 1000:.2f}" for group, seconds in used.items()
    )
    return f"  {label:44} {per_event}"


# --- event to incident ----------------------------------------------------------------------


class IncidentWatcher(threading.Thread):
    """Records when the incident of each dedup key becomes visible: committed to the table the
    incidents API reads (no cache sits between them).

    It reads the table every 10 ms rather than polling the API: polling the API that often
    cost the machine under test about a quarter of its CPU. Concurrent workers may commit an
    incident after a newer one, so each poll looks ``LOOK_BACK_SECONDS`` before the newest
    incident seen, and returns only the rows committed since the previous poll (not visible in
    its snapshot): reading the whole look-back window again every time cost this machine about
    0.1 ms of CPU per incident.
    """

    POLL_SECONDS, LOOK_BACK_SECONDS = 0.01, 0.3

    def __init__(self, database: str, team: str):
        super().__init__(daemon=True)
        self.database, self.team = database, team
        self.seen: dict[str, float] = {}
        self.committed_late = 0  # created before an incident already seen
        self.stop = threading.Event()

    def run(self):
        back = timedelta(seconds=self.LOOK_BACK_SECONDS)
        with psycopg.connect(self.database, autocommit=True) as connection:
            # The bench's database is new and the cluster far from xid wraparound: a row's xmin
            # read as a 64-bit xid is exact. Polls start from now: the incidents of earlier
            # phases are not read again.
            newest, snapshot = connection.execute(
                "SELECT now(), pg_current_snapshot()::text"
            ).fetchone()
            while not self.stop.is_set():
                now = time.time()
                rows = connection.execute(
                    "SELECT dedup_key, created_at, pg_current_snapshot()::text"
                    " FROM incidents_incident WHERE team_id = %s AND created_at > %s"
                    " AND NOT pg_visible_in_snapshot(xmin::text::xid8, %s::pg_snapshot)"
                    " UNION ALL SELECT NULL, NULL, pg_current_snapshot()::text",
                    (self.team, newest - back, snapshot),
                ).fetchall()
                seen_until = newest
                for key, created_at, current in rows:
                    if key is None:  # the row of the snapshot
                        snapshot = current
                    elif key not in self.seen:
                        self.seen[key] = now
                        self.committed_late += created_at <= seen_until
                        newest = max(newest, created_at)
                self.stop.wait(self.POLL_SECONDS)


# --- orchestration --------------------------------------------------------------------------


def pending(database: str) -> int:
    """Events stored and not evaluated yet."""
    with psycopg.connect(database, autocommit=True) as connection:
        return connection.execute(
            "SELECT count(*) FROM webhooks_webhookevent WHERE evaluated_at IS NULL"
        ).fetchone()[0]


def drain(database: str, timeout: float = 600) -> float:
    """Seconds until every stored event is evaluated (the worker's backlog)."""
    start = time.monotonic()
    while pending(database) and time.monotonic() - start < timeout:
        time.sleep(0.1)
    return time.monotonic() - start


def fresh_database(admin_url: str, name: str) -> str:
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + "/" + name


def manage(database: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": database}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


FIRING = [{"type": "json-check", "key": "status", "operator": "equal", "values": ["firing"]}]


def setup_tenant(
    api: str,
    database: str,
    *,
    organization: str = "Bench",
    email: str = "bench@example.com",
    conditions: list[dict] = FIRING,
) -> tuple[str, str]:
    """An organization with a team, a webhook and a ruleset over it whose incidents take the
    event's ``key`` as dedup key; (team id, webhook id)."""
    tenant = json.loads(
        manage(database, "bootstrap", "--org", organization, "--team", "Ops", "--email", email)
    )
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {tenant['token']}"
    # The largest ingest limit: the bench measures accepting events, not refusing them.
    webhook = session.post(
        f"{api}/webhook", json={"name": "bench", "max_events_per_minute": 1_000_000}
    ).json()["id"]
    response = session.post(
        f"{api}/ruleset",
        json={
            "rule_type": "webhook",
            "level": "team",
            "team_id": tenant["team_id"],
            "name": "Firing",
            "description": "",
            "urgency": "high",
            "dedup_key": "key",
            "conditions": conditions,
            "webhook_ids": [webhook],
        },
    )
    response.raise_for_status()
    return tenant["team_id"], webhook


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--rounds", type=int, default=4, help="saturation rounds, each between two baselines"
    )
    parser.add_argument("--web-workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--worker-concurrency", type=int, default=os.cpu_count() or 2)
    parser.add_argument(
        "--worker-niceness",
        type=int,
        default=19,
        help="nice value of the Celery worker (0: same CPU priority as the web processes)",
    )
    parser.add_argument(
        "--admin-database-url", default="postgres://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/14")
    # Benchmarks of several people on one machine: each its own port (and the next) and database.
    parser.add_argument("--port", type=int, default=18801)
    parser.add_argument("--database-name", default="pinghome_bench")
    parser.add_argument(
        "--paced-rate",
        type=float,
        help="events/s of the event-to-incident phase (default: half the saturation rate)",
    )
    options = parser.parse_args()

    redis.Redis.from_url(options.broker_url).flushdb()  # no messages left from an earlier run
    database = fresh_database(options.admin_database_url, options.database_name)
    port, baseline_port = options.port, options.port + 1
    manage(database, "migrate", "--noinput", "-v0")
    api = f"http://127.0.0.1:{port}/v1"
    print(
        f"machine: {os.cpu_count()} cores; {options.web_workers} web processes x 4 threads, "
        f"worker concurrency {options.worker_concurrency}, {options.connections} connections, "
        f"{options.seconds:.0f} s per phase"
    )

    baseline_db = fresh_database(options.admin_database_url, f"{options.database_name}_baseline")
    create_table(baseline_db)
    baseline_server = running(
        {
            "baseline": web_command(
                port=baseline_port,
                workers=options.web_workers,
                app="bench.baseline_app:application",
            )
        },
        env={"BASELINE_DATABASE_URL": baseline_db},
        health_url=f"http://127.0.0.1:{baseline_port}/",
    )
    stack = service_processes(
        database=database,
        broker=options.broker_url,
        port=port,
        web_workers=options.web_workers,
        worker_concurrency=options.worker_concurrency,
        worker_niceness=options.worker_niceness,
    )

    def baseline_phase(name: str):
        with meter.phase(cpu.setdefault(name, {})):
            return drive(
                baseline_port, "/", seconds=options.seconds, connections=options.connections
            )

    with baseline_server as baseline_processes, stack as processes:
        sampler = MemorySampler({name: p.pid for name, p in processes.items()})
        sampler.start()
        roots = {name: p.pid for name, p in {**processes, **baseline_processes}.items()}
        meter = CpuMeter({**roots, **({"postgres": pg} if (pg := postmaster_pid()) else {})})
        cpu: dict[str, dict[str, float]] = {}
        team, webhook = setup_tenant(api, database)
        path = f"/v1/incident/webhook/{webhook}"

        def pinghome_phase(rate: float | None = None):
            """Every event opens an incident of its own; as fast as it goes, or paced."""
            return drive(
                port,
                path,
                seconds=options.seconds,
                connections=options.connections,
                rate=rate,
                unique_keys=True,
            )

        drive(port, path, seconds=2, connections=options.connections)  # warm-up
        drive(baseline_port, "/", seconds=2, connections=options.connections)
        drain(database)
        # Rounds of pinghome, each between two baselines: the machine's drift (easily 15% within
        # minutes on a shared VM) hits both sides of each ratio.
        baselines = [baseline_phase("baseline 1")]
        rounds = []
        for n in range(1, options.rounds + 1):
            # Every event of the saturation phase opens an incident: the backlog it leaves
            # measures how many incidents per second the worker opens (with the web idle).
            with meter.phase(cpu.setdefault(f"saturation {n}", {})):
                saturated = pinghome_phase()
            backlog = pending(database)
            with meter.phase(cpu.setdefault(f"drain {n}", {})):
                opens = backlog / drain(database) if backlog else float("inf")
            baselines.append(baseline_phase(f"baseline {n + 1}"))
            around = (baselines[-2]["per_second"] + baselines[-1]["per_second"]) / 2
            rounds.append((saturated, backlog, opens, saturated["per_second"] / around))
        saturated, baseline = pooled([r[0] for r in rounds]), pooled(baselines)
        opens_per_second = sum(r[2] for r in rounds) / len(rounds)
        # Draining a backlog works in large batches; live events come in small ones. The
        # pipeline's saturation rate is the highest paced rate the worker keeps up with.
        ramp = []
        rate = min(saturated["per_second"], opens_per_second)
        while rate >= 5:
            drive(
                port, path, seconds=5, connections=options.connections, rate=rate, unique_keys=True
            )
            left = pending(database)
            ramp.append((rate, left))
            drain(database)
            if left <= rate / 2:  # less than half a second behind: it keeps up
                break
            rate *= 0.8
        pipeline_rate = rate
        rates = [options.paced_rate or pipeline_rate / 2]
        if not options.paced_rate and saturated["per_second"] / 2 > rates[0] * 1.1:
            rates.append(saturated["per_second"] / 2)  # shown too: beyond what the worker sustains
        paced_phases = []
        for rate in rates:
            watcher = IncidentWatcher(database, team)
            watcher.start()
            with meter.phase(cpu.setdefault(f"paced at {rate:.0f}/s", {})):
                paced = pinghome_phase(rate)
                time.sleep(3)  # let the last incidents become visible
            watcher.stop.set()
            delays = sorted(watcher.seen[k] - t for k, t in paced["sent"] if k in watcher.seen)
            missing = len(paced["sent"]) - len(delays)
            paced_phases.append((rate, paced, delays, missing, watcher.committed_late))
            drain(database)
        sampler.stop.set()

    ms = 1000
    ratio = sum(r[3] for r in rounds) / len(rounds)
    print()
    print(f"{'':32}{'pinghome':>12}{'baseline':>12}")
    print(f"{'accepted events/s':32}{saturated['per_second']:12.0f}{baseline['per_second']:12.0f}")
    print(
        f"{'ingest latency p50 (ms)':32}{percentile(saturated['latencies'], 50) * ms:12.1f}"
        f"{percentile(baseline['latencies'], 50) * ms:12.1f}"
    )
    print(
        f"{'ingest latency p99 (ms)':32}{percentile(saturated['latencies'], 99) * ms:12.1f}"
        f"{percentile(baseline['latencies'], 99) * ms:12.1f}"
    )
    print(f"{'errors':32}{saturated['errors']:12d}{baseline['errors']:12d}")
    print(
        f"throughput ratio pinghome/baseline: {ratio:.2f} (target >= 0.60), the mean of "
        + ", ".join(f"{r[3]:.2f}" for r in rounds)
        + " (each round against the baselines around it: "
        + ", ".join(f"{b['per_second']:.0f}" for b in baselines)
        + " events/s)"
    )
    for n, (_, backlog, opens, _) in enumerate(rounds, 1):
        print(
            f"worker: the {backlog} events left by saturation round {n} opened "
            f"{opens:.0f} incidents/s in large batches (web idle)"
        )
    for rate, left in ramp:
        print(f"  paced at {rate:4.0f} events/s for 5 s: {left:5d} not evaluated at the end")
    print(f"the pipeline keeps up with {pipeline_rate:.0f} new incidents/s: its saturation rate")
    for rate, paced, delays, missing, late in paced_phases:
        print()
        print(
            f"event-to-incident at {rate:.0f} events/s, each a new incident "
            f"({len(paced['sent'])} events, {missing} not visible within 3 s after the run, "
            f"{late} committed after a newer one was seen):"
        )
        print(
            f"  p50 {percentile(delays, 50) * ms:.0f} ms, p99 {percentile(delays, 99) * ms:.0f} ms "
            f"(target p99 < 250 ms at half the saturation rate); "
            f"ingest p99 {percentile(paced['latencies'], 99) * ms:.1f} ms"
        )
    print()
    print("CPU per event (ms), by process group:")
    events = {
        **{f"baseline {n}": b["accepted"] for n, b in enumerate(baselines, 1)},
        **{f"saturation {n}": r[0]["accepted"] for n, r in enumerate(rounds, 1)},
        **{f"drain {n}": r[1] for n, r in enumerate(rounds, 1)},
        **{f"paced at {rate:.0f}/s": paced["accepted"] for rate, paced, *_ in paced_phases},
    }
    for name, used in cpu.items():
        print(cpu_line(f"{name} ({events[name]} events)", used, events[name]))
    print()
    print("resident memory per process (MiB): first sample -> last sample, peak")
    for (group, pid), (first, last, peak) in sorted(sampler.samples.items()):
        print(
            f"  {group:7} pid {pid:7}: {first / 1024:6.1f} -> {last / 1024:6.1f}, "
            f"peak {peak / 1024:6.1f}"
        )
    worst = max(peak for _, _, peak in sampler.samples.values()) / 1024
    print(f"largest process: {worst:.1f} MiB (target < 200 MiB)")


if __name__ == "__main__":
    main()
