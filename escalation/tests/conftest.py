import pytest

from escalation.tests.builders import install_clock


@pytest.fixture
def clock(monkeypatch):
    return install_clock(monkeypatch)
