"""Builders for tests: personas (a user with a token and an API client) and common objects."""

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import requests
from rest_framework.test import APIClient

from accounts.models import Organization, Team, TeamMember, User
from accounts.services import bootstrap

BASE_DIR = Path(__file__).resolve().parent.parent


@dataclass
class Persona:
    organization: Organization
    team: Team
    member: TeamMember
    user: User
    token: str
    api: APIClient


def make_persona(org: str, team: str, email: str) -> Persona:
    """A user in ``team`` of ``org`` (the organization's first user is its admin)."""
    result = bootstrap(org_name=org, team_name=team, email=email)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {result.token}")
    return Persona(
        result.organization, result.team, result.team_member, result.user, result.token, api
    )


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for another process to reach the database Django is connected to."""
    user = settings_dict.get("USER") or "postgres"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings_dict['NAME']}"


@contextmanager
def service_processes(
    *,
    database: str,
    broker: str,
    port: int,
    web_workers: int = 1,
    worker_concurrency: int = 2,
    log_dir: Path | None = None,
) -> Iterator[dict[str, subprocess.Popen]]:
    """Run the product as in production: gunicorn web processes and a Celery worker."""
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "CELERY_BROKER_URL": broker,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "LOG_LEVEL": "WARNING",
    }
    bin_dir = Path(sys.executable).parent
    log_dir = log_dir or Path(tempfile.mkdtemp(prefix="pinghome-"))
    commands = {
        "web": [
            str(bin_dir / "gunicorn"),
            "pinghome.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(web_workers),
            "--log-level",
            "warning",
        ],
        "worker": [
            str(bin_dir / "celery"),
            "-A",
            "pinghome",
            "worker",
            "-Q",
            "default,evaluation,actions,notifications",
            "--concurrency",
            str(worker_concurrency),
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
    }
    processes = {
        name: subprocess.Popen(
            command,
            env=env,
            cwd=BASE_DIR,
            stdout=(log_dir / f"{name}.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for name, command in commands.items()
    }
    try:
        _wait_for_http(f"http://127.0.0.1:{port}/v1/health-check", processes["web"])
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
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout}s")
