import pytest

from notifications.tests.receivers import Receiver


@pytest.fixture
def receiver(settings):
    """A local HTTP endpoint (chat channels post to it with Apprise's ``json://``)."""
    settings.NOTIFY_ALLOW_PRIVATE_ADDRESSES = True
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()
