"""scripts/audit (run by scripts/test, so by CI) fails on a known vulnerability of an installed
pinned requirement, and passes once the pin is a fixed version: pip-audit is pointed at a stub of
OSV's query API (PIP_AUDIT_OSV_URL) that knows one advisory, so no network is needed."""

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import version
from pathlib import Path

import pytest
from django.conf import settings
from packaging.version import Version

ROOT = Path(settings.BASE_DIR)
DJANGO = version("django")  # as pinned in requirements.txt and installed in .venv


def advisory(introduced: str, fixed: str) -> dict:
    """An OSV record of a vulnerability of Django from ``introduced`` until ``fixed``."""
    return {
        "id": "PYSEC-0000-TEST",
        "summary": "A vulnerability the stub knows of",
        "affected": [
            {
                "package": {"name": "django", "ecosystem": "PyPI"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": introduced}, {"fixed": fixed}]}
                ],
            }
        ],
    }


def osv_stub(record: dict):
    """A server answering OSV's ``POST /v1/query`` ({package, version}) with ``record`` when it
    affects the version asked about, else no vulnerability."""
    [events] = [r["events"] for r in record["affected"][0]["ranges"]]
    introduced, fixed = Version(events[0]["introduced"]), Version(events[1]["fixed"])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            affected = query["package"]["name"] == "django" and (
                introduced <= Version(query["version"]) < fixed
            )
            body = json.dumps({"vulns": [record]} if affected else {}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def audit(record: dict) -> subprocess.CompletedProcess:
    server = osv_stub(record)
    try:
        return subprocess.run(
            [sys.executable, "scripts/audit"],
            cwd=ROOT,
            env={
                **os.environ,
                "PIP_AUDIT_OSV_URL": f"http://127.0.0.1:{server.server_port}/v1/query",
                "PIP_AUDIT_REQUIRED": "1",
            },
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        server.shutdown()


@pytest.mark.skipif(not (ROOT / ".venv/bin/pip-audit").exists(), reason="scripts/test's .venv")
def test_a_known_vulnerability_of_a_pin_fails_the_audit_and_its_fixed_version_passes():
    pinned = Version(DJANGO)
    next_patch = f"{pinned.major}.{pinned.minor}.{pinned.micro + 1}"

    vulnerable = audit(advisory(introduced="0", fixed=next_patch))
    assert vulnerable.returncode == 1, vulnerable.stdout + vulnerable.stderr
    assert f"django {DJANGO}: PYSEC-0000-TEST (fixed in {next_patch})" in vulnerable.stdout

    fixed = audit(advisory(introduced="0", fixed=DJANGO))
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "0 with a known vulnerability" in fixed.stdout
