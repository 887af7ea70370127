import pytest

from pinghome.testing import make_persona


@pytest.fixture
def owner(db):
    """Admin of the Acme organization, member of its Ops team."""
    return make_persona("Acme", "Ops", "owner@acme.test")


@pytest.fixture
def teammate(owner):
    """A plain member of Acme's Ops team."""
    return make_persona("Acme", "Ops", "mate@acme.test")


@pytest.fixture
def outsider(db):
    """Admin of another organization: must never see or touch Acme's objects."""
    return make_persona("Globex", "Ops", "admin@globex.test")


@pytest.fixture
def anonymous():
    from rest_framework.test import APIClient

    return APIClient()
