import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pinghome.settings")
django_application = get_wsgi_application()

from webhooks.views import INGEST_PATH_PREFIX, wsgi_ingest  # noqa: E402 - needs Django set up


def application(environ, start_response):
    """Ingest goes straight to its WSGI handler (the hot path); everything else to Django."""
    if environ.get("PATH_INFO", "").startswith(INGEST_PATH_PREFIX):
        return wsgi_ingest(environ, start_response)
    return django_application(environ, start_response)
