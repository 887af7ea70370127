"""The product's processes as production runs them (gunicorn, a Celery worker), for the
end-to-end tests and the benchmarks. Importable without Django set up."""

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import requests

BASE_DIR = Path(__file__).resolve().parent.parent


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for another process to reach the database Django is connected to."""
    user = settings_dict.get("USER") or "postgres"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings_dict['NAME']}"


# Requests are read whole before a thread serves them: slow clients cost no thread.
WORKER_CLASS = "pinghome.http_worker.BufferingWorker"


def web_command(
    *, port: int, workers: int, app: str = "pinghome.wsgi", threads: int = 4
) -> list[str]:
    return [
        str(Path(sys.executable).parent / "gunicorn"),
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        WORKER_CLASS,
        "--threads",
        str(threads),
        "--log-level",
        "warning",
    ]


CELERY = str(Path(sys.executable).parent / "celery")


def worker_command(
    *, concurrency: int, queues: str = "default,evaluation,actions,notifications"
) -> list[str]:
    return [
        *(CELERY, "-A", "pinghome", "worker", "-Q", queues),
        *("--concurrency", str(concurrency), "--loglevel", "WARNING"),
        *("--without-gossip", "--without-mingle", "--without-heartbeat"),
    ]


def service_env(
    *, database: str, broker: str, port: int, env: dict[str, str] | None = None
) -> dict[str, str]:
    """The environment every process of the product gets (``env`` added last)."""
    return {
        "DATABASE_URL": database,
        "CELERY_BROKER_URL": broker,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "LOG_LEVEL": "WARNING",
        **(env or {}),
    }


@contextmanager
def service_processes(
    *,
    database: str,
    broker: str,
    port: int,
    web_workers: int = 1,
    worker_concurrency: int = 2,
    worker_niceness: int = 0,
    log_dir: Path | None = None,
    web_broker: str | None = None,
    beat: bool = False,
    env: dict[str, str] | None = None,
) -> Iterator[dict[str, subprocess.Popen]]:
    """Run the product as in production: gunicorn web processes, a Celery worker (and beat).

    ``worker_niceness`` lowers the worker's CPU priority: on a machine shared with the web
    processes, accepting events comes first and evaluation catches up.
    ``web_broker`` gives the web processes another broker URL than the worker (e.g. one that is
    down, to show that the re-drive evaluates what ingest could not hand over).
    Their metrics are added up in a folder of ``log_dir`` (``PROMETHEUS_MULTIPROC_DIR``).
    """
    log_dir = log_dir or Path(tempfile.mkdtemp(prefix="pinghome-"))
    commands = {
        "web": web_command(port=port, workers=web_workers),
        "worker": worker_command(concurrency=worker_concurrency),
    }
    if beat:
        schedule = str(log_dir / "beat-schedule")
        commands["beat"] = [CELERY, "-A", "pinghome", "beat", "--schedule", schedule]
    overrides = {"web": {"CELERY_BROKER_URL": web_broker}} if web_broker else {}
    with running(
        commands,
        env=service_env(
            database=database,
            broker=broker,
            port=port,
            env={"PROMETHEUS_MULTIPROC_DIR": str(log_dir / "metrics"), **(env or {})},
        ),
        env_by_name=overrides,
        health_url=f"http://127.0.0.1:{port}/v1/health-check",
        log_dir=log_dir,
    ) as processes:
        if worker_niceness:
            lower_priority(processes["worker"].pid, worker_niceness)
        yield processes


def lower_priority(pid: int, niceness: int) -> None:
    """Lower the CPU priority of a process started in a session of its own, and of its children.

    With autogroup scheduling (Linux's default on desktops and many servers) each session
    competes as one group whatever the niceness of its processes: the group's own niceness is
    the one that counts. (Under systemd the equivalent is the service's ``CPUWeight=``.)
    """
    os.setpriority(os.PRIO_PGRP, pid, niceness)  # every process of its group, forked or not
    with suppress(OSError):
        Path(f"/proc/{pid}/autogroup").write_text(str(niceness))


@contextmanager
def running(
    commands: dict[str, list[str]],
    *,
    env: dict[str, str],
    health_url: str,
    log_dir: Path | None = None,
    env_by_name: dict[str, dict[str, str]] | None = None,
) -> Iterator[dict[str, subprocess.Popen]]:
    """Start each command in its own process group; stop them all on exit."""
    log_dir = log_dir or Path(tempfile.mkdtemp(prefix="pinghome-"))
    processes = {
        name: subprocess.Popen(
            command,
            env={**os.environ, **env, **(env_by_name or {}).get(name, {})},
            cwd=BASE_DIR,
            stdout=(log_dir / f"{name}.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for name, command in commands.items()
    }
    try:
        _wait_for_http(health_url, next(iter(processes.values())))
        yield processes
    finally:
        for process in processes.values():
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def _wait_for_http(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        try:
            # Serving: the health check's 503 (no database) is an answer too.
            if requests.get(url, timeout=1).status_code in (*range(500), 503):
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout}s")
