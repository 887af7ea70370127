"""Reading large events keeps a web process small: through gunicorn, its resident memory."""

import os
import threading
from pathlib import Path

import pytest
import requests
from django.db import connection

from pinghome.processes import database_url, running, service_env, web_command
from webhooks.models import Webhook, WebhookEvent

BROKER = os.environ.get("TEST_BROKER_URL", "redis://127.0.0.1:6379/15")
PORT = int(os.environ.get("TEST_E2E_PORT", "18765")) + 5
MIB = 1024 * 1024


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def resident_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


@pytest.fixture
def web(transactional_db, tmp_path):
    env = service_env(database=database_url(connection.settings_dict), broker=BROKER, port=PORT)
    with running(
        {"web": web_command(port=PORT, workers=1, threads=4)},
        env=env,
        health_url=f"http://127.0.0.1:{PORT}/v1/health-check",
        log_dir=tmp_path,
    ) as processes:
        [worker] = children(processes["web"].pid)
        yield f"http://127.0.0.1:{PORT}/v1", worker


def test_listing_fifty_1_mb_events_from_four_threads_keeps_the_web_process_under_200_mb(owner, web):
    api, worker = web
    webhook = Webhook.objects.create(organization=owner.organization, name="big")
    body = b'{"message": "' + b"x" * (MIB - 20) + b'"}'
    WebhookEvent.objects.bulk_create(WebhookEvent(webhook=webhook, body=body) for _ in range(50))
    one = WebhookEvent.objects.filter(webhook=webhook).values_list("id", flat=True).first()
    headers = {"Authorization": f"Bearer {owner.token}"}
    sizes, statuses = [], []

    def read():
        for _ in range(3):
            listed = requests.get(f"{api}/webhook/{webhook.id}/events?limit=50", headers=headers)
            whole = requests.get(f"{api}/webhook/{webhook.id}/event/{one}", headers=headers)
            statuses.extend([listed.status_code, whole.status_code])
            sizes.append(len(listed.content))

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert set(statuses) == {200}
    assert max(sizes) < 4 * MIB  # 50 bodies cut at 64 KB
    rss = resident_bytes(worker)
    assert rss < 200 * MIB, f"web process at {rss / MIB:.0f} MiB"
