"""What every page shares: the navigation on a 404 as well, and an icon."""

import pytest
from django.contrib.staticfiles import finders

from rulesets.tests.pipeline import create_ruleset

pytestmark = pytest.mark.django_db

ICON = "/static/pinghome/favicon.svg"


def test_a_page_that_does_not_exist_is_a_404_with_the_navigation(owner, outsider, client):
    theirs = create_ruleset(outsider)
    client.force_login(owner.user)
    for path in ("/no-such-page", f"/rulesets/{theirs}"):
        response = client.get(path)
        assert response.status_code == 404, path
        html = response.content.decode()
        assert "<title>Not found · pinghome</title>" in html, path
        assert '<a class="skip-link" href="#main">' in html, path
        assert '<a href="/webhooks"' in html, "the navigation"
        assert "Go to the incidents" in html
    api = client.get("/v1/no-such-route")
    assert api.status_code == 404
    assert api.json() == {"message": "Not found."}, "the API's 404 stays JSON"


def test_pages_name_their_icon_and_favicon_ico_leads_to_it(owner, client):
    client.force_login(owner.user)
    page = client.get("/").content.decode()
    assert f'<link rel="icon" href="{ICON}" type="image/svg+xml">' in page
    favicon = client.get("/favicon.ico")
    assert favicon.status_code == 302
    assert favicon["Location"] == ICON
    assert finders.find("pinghome/favicon.svg"), "the icon is a static file"
