import pytest
from hypothesis import settings

from pinghome.testing import make_persona

# Property tests check behaviour, not speed: no per-example deadline, which a busy machine
# (CI beside other work) exceeds at random.
settings.register_profile("pinghome", deadline=None)
settings.load_profile("pinghome")


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Rate limit counters kept in this process start empty in every test."""
    from pinghome.ratelimit import clear_local_counters

    clear_local_counters()


@pytest.fixture(scope="module")
def module_db(django_db_setup, django_db_blocker):
    """One transaction around a module's tests: what module-scoped fixtures build on it is shared
    by the module's tests (each runs in a savepoint of it) and rolled back after the last."""
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture
def clock(monkeypatch):
    """``django.utils.timezone.now`` moved forward by hand (``clock.advance(minutes=5)``)."""
    from escalation.tests.builders import install_clock

    return install_clock(monkeypatch)


@pytest.fixture
def owner(db):
    """Admin of the Acme organization, member of its Ops team."""
    return make_persona("Acme", "Ops", "owner@acme.test")


@pytest.fixture
def teammate(owner):
    """A plain member of Acme's Ops team: a responder, who manages nothing."""
    return make_persona("Acme", "Ops", "mate@acme.test", role="responder")


@pytest.fixture
def manager(owner):
    """A member (not an admin) of Acme who manages its Ops team."""
    return make_persona("Acme", "Ops", "lead@acme.test", role="manager")


@pytest.fixture
def outsider(db):
    """Admin of another organization: must never see or touch Acme's objects."""
    return make_persona("Globex", "Ops", "admin@globex.test")


@pytest.fixture
def anonymous():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture(scope="session")
def chromium():
    """Headless Debian Chromium driven by Playwright (scripts/test installs the package)."""
    import os

    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium, live_server, request):
    """A fresh page on the live server; a screenshot of it is kept in artifacts/ at the end."""
    from pinghome.testing import screenshot

    context = chromium.new_context(  # in UTC wherever it runs: app.js tells the pages its zone
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, timezone_id="UTC"
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    screenshot(page, request.node.name)
    context.close()


# A desktop's width and a phone's, with the height of each screen.
SCREENS = {1366: 900, 390: 844}


@pytest.fixture(params=list(SCREENS))
def sized_page(browser_page, request):
    """``browser_page`` at 1366 px and at 390 px wide: a test taking it runs at both widths
    (``page.viewport_size["width"]`` says which)."""
    browser_page.set_viewport_size({"width": request.param, "height": SCREENS[request.param]})
    return browser_page


def pytest_ignore_collect(collection_path, config):
    """``-m sqlite`` (scripts/test's run on SQLite) imports only the test modules that mark
    tests ``sqlite``: importing the whole suite would cost more than the smoke set itself."""
    if config.getoption("markexpr") != "sqlite" or collection_path.suffix != ".py":
        return None
    if not collection_path.name.startswith("test_"):
        return None
    return "pytest.mark.sqlite" not in collection_path.read_text(encoding="utf-8")
