"""Security headers: a Content-Security-Policy without inline script on every page, HSTS behind
TLS, and ``manage.py check --deploy`` clean with the documented production variables."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

pytestmark = pytest.mark.django_db

ROOT = Path(django_settings.BASE_DIR)


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part.strip())
    }


@pytest.mark.parametrize(
    "path", ["/login", "/", "/webhooks", "/admin/", "/admin/login/", "/v1/docs", "/nowhere"]
)
def test_every_page_has_a_policy_allowing_scripts_from_this_site_only(owner, path):
    client = Client()
    client.force_login(owner.user)
    response = client.get(path)
    directives = policy(response)
    assert directives["script-src"] == ["'self'"]
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]


def test_no_template_has_an_inline_script_or_event_handler():
    templates = [
        path
        for path in ROOT.rglob("*.html")
        if ".venv" not in path.parts and "node_modules" not in path.parts
    ]
    assert templates
    for path in templates:
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), path
        assert not re.search(r"\son[a-z]+\s*=", text), path
        assert "javascript:" not in text, path


def check_deploy(**env: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env={
            **os.environ,
            "DEBUG": "0",
            "SECRET_KEY": "a-production-secret-key-that-is-long-and-random-" + "x" * 20,
            "ALLOWED_HOSTS": "pinghome.example.com",
            **env,
        },
        capture_output=True,
        text=True,
    )
    return result.stdout + result.stderr


# The README's production variables (SECURITY.md's checklist), besides DEBUG, SECRET_KEY and
# ALLOWED_HOSTS.
PRODUCTION = {
    "BEHIND_TLS_PROXY": "1",
    "SECURE_COOKIES": "1",
    "SITE_URL": "https://pinghome.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://pinghome.example.com",
}


def test_check_deploy_is_clean_with_the_documented_production_variables():
    output = check_deploy(**PRODUCTION)
    assert "System check identified no issues (1 silenced)." in output, output


@pytest.mark.parametrize(
    ("variable", "warning"),
    [("HSTS_SECONDS", "security.W004"), ("HSTS_INCLUDE_SUBDOMAINS", "security.W005")],
)
def test_hsts_and_its_subdomains_can_be_turned_off_on_their_own(variable, warning):
    assert warning in check_deploy(**PRODUCTION, **{variable: "0"})


def test_a_request_that_came_over_tls_gets_hsts_for_the_subdomains_too(settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    response = Client().get("/login", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_the_health_check_is_answered_over_plain_http_even_when_https_is_enforced(settings):
    settings.SECURE_SSL_REDIRECT = True
    assert Client().get("/v1/health-check").status_code == 200
    assert Client().get("/login").status_code == 301
