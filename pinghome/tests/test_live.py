"""pinghome/live.py: the address a form sent by app.js is redirected to asks for its parts."""

from django.test import RequestFactory

from pinghome import live


def test_parts_are_asked_for_keeping_the_query_and_the_fragment():
    assert live.with_parts("/?q=disk&after=x", ["list"]) == "/?q=disk&after=x&part=list"
    assert (
        live.with_parts("/incidents/1?part=old#timeline", ["summary", "timeline"])
        == "/incidents/1?part=summary&part=timeline#timeline"
    )


def test_only_plain_part_names_of_the_header_count():
    request = RequestFactory().post("/", HTTP_X_LIVE_PARTS="list <b> ../x Summary merge")
    assert live.header_parts(request) == ["list", "merge"]
    assert live.redirect_back(request, "/?q=1")["Location"] == "/?q=1&part=list&part=merge"
    assert live.redirect_back(RequestFactory().post("/"), "/?q=1")["Location"] == "/?q=1"


def test_the_pages_path_leaves_the_part_out():
    request = RequestFactory().get("/", {"q": "disk", "part": "list"})
    assert live.page_path(request) == "/?q=disk"
    assert live.page_path(RequestFactory().get("/incidents/1", {"part": "x"})) == "/incidents/1"
