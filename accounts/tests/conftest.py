import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Sign-in tests hash passwords dozens of times: cheaply here, as no deployment may."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
