"""GET /v1/status-pages, POST /v1/status-page, GET /v1/status-page/{id},
POST /v1/status-page/{id}/component."""

import pytest
from django.utils.dateparse import parse_datetime

from pinghome.testing import (
    BAD_TOKEN,
    MALFORMED_ID,
    UNKNOWN_ID,
    assert_invalid,
    assert_not_found,
    assert_unauthorized,
    deeply_nested,
    send_raw,
)
from statuspages.models import Component, ComponentStatus, StatusPage
from statuspages.tests.builders import make_component, make_status_page

pytestmark = pytest.mark.django_db


def page_path(page) -> str:
    return f"/v1/status-page/{page.id}"


def component_path(page) -> str:
    return f"/v1/status-page/{page.id}/component"


ROUTES = [
    ("get", lambda page: "/v1/status-pages", None),
    ("post", lambda page: "/v1/status-page", {"name": "Public"}),
    ("get", page_path, None),
    ("post", component_path, {"name": "API"}),
]
ROUTE_IDS = ["list", "create", "read", "add-component"]


# --------------------------------------------------------------------------- authentication


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=ROUTE_IDS)
def test_every_route_answers_401_without_a_token(owner, anonymous, method, path, body):
    page = make_status_page(owner.organization)
    response = getattr(anonymous, method)(path(page), body, format="json")
    assert_unauthorized(response)


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=ROUTE_IDS)
def test_every_route_answers_401_with_a_bad_token(owner, anonymous, method, path, body):
    page = make_status_page(owner.organization)
    anonymous.credentials(HTTP_AUTHORIZATION=BAD_TOKEN)
    response = getattr(anonymous, method)(path(page), body, format="json")
    assert_unauthorized(response)


def test_a_bad_token_with_an_invalid_body_is_still_401_not_422(anonymous):
    anonymous.credentials(HTTP_AUTHORIZATION=BAD_TOKEN)
    assert_unauthorized(send_raw(anonymous, "POST", "/v1/status-page", b"{nope"))


# --------------------------------------------------------------------------- list


def test_list_answers_the_organizations_pages_sorted_by_name(owner, outsider):
    status = make_status_page(owner.organization, "Status")
    internal = make_status_page(owner.organization, "Internal")
    make_status_page(outsider.organization, "Globex public")

    response = owner.api.get("/v1/status-pages")

    assert response.status_code == 200
    body = response.json()
    assert [p["name"] for p in body] == ["Internal", "Status"]
    assert [p["id"] for p in body] == [str(internal.id), str(status.id)]
    assert set(body[0]) == {"id", "name", "created_at"}
    assert body[0]["created_at"].endswith("Z")
    assert parse_datetime(body[0]["created_at"]) == internal.created_at


def test_list_is_empty_for_an_organization_without_pages(owner, outsider):
    make_status_page(owner.organization)
    response = outsider.api.get("/v1/status-pages")
    assert response.status_code == 200
    assert response.json() == []


def test_a_plain_member_reads_the_organizations_pages(owner, teammate):
    make_status_page(owner.organization, "Public")
    response = teammate.api.get("/v1/status-pages")
    assert response.status_code == 200
    assert [p["name"] for p in response.json()] == ["Public"]


def test_list_runs_a_bounded_number_of_queries(owner, django_assert_max_num_queries):
    for index in range(30):
        page = make_status_page(owner.organization, f"Page {index:02}")
        make_component(page)
    with django_assert_max_num_queries(3):
        response = owner.api.get("/v1/status-pages")
    assert response.status_code == 200
    assert len(response.json()) == 30


# --------------------------------------------------------------------------- create


def test_create_answers_201_with_the_new_pages_id(owner):
    response = owner.api.post("/v1/status-page", {"name": "Public"})

    assert response.status_code == 201
    assert set(response.json()) == {"id"}
    page = StatusPage.objects.get(pk=response.json()["id"])
    assert page.name == "Public"
    assert page.organization == owner.organization
    assert list(page.components.all()) == []


def test_a_created_page_is_listed_and_readable(owner):
    page_id = owner.api.post("/v1/status-page", {"name": "Public"}).json()["id"]

    assert [p["id"] for p in owner.api.get("/v1/status-pages").json()] == [page_id]
    detail = owner.api.get(f"/v1/status-page/{page_id}").json()
    assert detail["name"] == "Public"
    assert detail["components"] == []


def test_an_outsider_creates_pages_in_their_own_organization_only(owner, outsider):
    response = outsider.api.post("/v1/status-page", {"name": "Globex"})
    assert response.status_code == 201
    assert StatusPage.objects.get(pk=response.json()["id"]).organization == outsider.organization
    assert owner.api.get("/v1/status-pages").json() == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "   "},
        {"name": None},
        {"name": 42},
        {"name": 4.2},
        {"name": True},
        {"name": ["Public"]},
        {"name": {"text": "Public"}},
        {"name": "x" * 201},
    ],
    ids=[
        "missing",
        "empty",
        "blank",
        "null",
        "integer",
        "float",
        "boolean",
        "array",
        "object",
        "too-long",
    ],
)
def test_create_rejects_a_bad_name_with_422_naming_it(owner, body):
    response = owner.api.post("/v1/status-page", body, format="json")
    assert_invalid(response, "name")
    assert not StatusPage.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [b"{nope", b"", b"[1, 2", b'"just a string"', b"[]", b"null", b"NaN", deeply_nested()],
    ids=["malformed", "empty", "truncated", "string", "array", "null", "nan", "deep"],
)
def test_create_answers_422_for_a_body_that_is_not_an_object(owner, raw):
    response = send_raw(owner.api, "POST", "/v1/status-page", raw)
    assert response.status_code == 422
    assert set(response.json()) == {"message", "errors"}
    assert not StatusPage.objects.exists()


def test_create_names_the_body_when_the_json_is_malformed(owner):
    errors = assert_invalid(send_raw(owner.api, "POST", "/v1/status-page", b"{nope"), "body")
    assert "malformed JSON" in errors["body"][0]


def test_create_rejects_a_name_with_a_nul_character(owner):
    assert_invalid(send_raw(owner.api, "POST", "/v1/status-page", b'{"name": "a\\u0000b"}'))
    assert not StatusPage.objects.exists()


def test_create_answers_422_not_500_for_a_lone_surrogate_in_the_name(owner):
    owner.api.raise_request_exception = False
    response = send_raw(owner.api, "POST", "/v1/status-page", b'{"name": "a\\ud800b"}')
    assert response.status_code == 422
    assert not StatusPage.objects.exists()


# --------------------------------------------------------------------------- read


def test_read_answers_the_page_with_its_components_and_their_status(owner):
    page = make_status_page(owner.organization, "Public")
    web = make_component(page, "Web", ComponentStatus.DEGRADED)
    api = make_component(page, "API")
    make_component(make_status_page(owner.organization, "Other"), "Elsewhere")

    response = owner.api.get(page_path(page))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"id", "name", "created_at", "components"}
    assert (body["id"], body["name"]) == (str(page.id), "Public")
    assert body["components"] == [
        {
            "id": str(api.id),
            "name": "API",
            "public_name": "API",
            "description": "",
            "status": "operational",
            "manual_status": "",
            "updated_at": body["components"][0]["updated_at"],
        },
        {
            "id": str(web.id),
            "name": "Web",
            "public_name": "Web",
            "description": "",
            "status": "degraded",
            "manual_status": "",
            "updated_at": body["components"][1]["updated_at"],
        },
    ]
    assert parse_datetime(body["components"][1]["updated_at"]) == web.updated_at
    assert body["components"][1]["updated_at"].endswith("Z")


def test_read_runs_a_bounded_number_of_queries(owner, django_assert_max_num_queries):
    page = make_status_page(owner.organization)
    for index in range(30):
        make_component(page, f"Component {index:02}")
    with django_assert_max_num_queries(4):
        response = owner.api.get(page_path(page))
    assert len(response.json()["components"]) == 30


def test_outsider_cannot_read_another_orgs_status_page(owner, outsider):
    page = make_status_page(owner.organization)
    make_component(page)
    assert_not_found(outsider.api.get(page_path(page)))


@pytest.mark.parametrize("page_id", [MALFORMED_ID, UNKNOWN_ID, "1", "%20"])
def test_read_answers_404_for_a_malformed_or_unknown_id(owner, page_id):
    make_status_page(owner.organization)
    assert_not_found(owner.api.get(f"/v1/status-page/{page_id}"))


# --------------------------------------------------------------------------- add a component


def test_add_component_answers_201_and_the_component_starts_operational(owner):
    page = make_status_page(owner.organization)

    response = owner.api.post(component_path(page), {"name": "Checkout"})

    assert response.status_code == 201
    assert set(response.json()) == {"id"}
    component = Component.objects.get(pk=response.json()["id"])
    assert component.status_page == page
    assert component.name == "Checkout"
    assert component.status == ComponentStatus.OPERATIONAL
    listed = owner.api.get(page_path(page)).json()["components"]
    assert [(c["id"], c["status"]) for c in listed] == [(str(component.id), "operational")]


@pytest.mark.parametrize("persona", ["teammate", "manager"])
def test_only_organization_admins_add_components(owner, persona, request):
    page = make_status_page(owner.organization)
    response = request.getfixturevalue(persona).api.post(component_path(page), {"name": "Checkout"})
    assert response.status_code == 403
    assert not page.components.exists()


def test_outsider_cannot_add_a_component_to_another_orgs_page(owner, outsider):
    page = make_status_page(owner.organization)
    assert_not_found(outsider.api.post(component_path(page), {"name": "Sneaky"}))
    assert not Component.objects.exists()


def test_outsider_gets_404_before_422_for_another_orgs_page(owner, outsider):
    page = make_status_page(owner.organization)
    assert_not_found(outsider.api.post(component_path(page), {"name": None}, format="json"))


@pytest.mark.parametrize("page_id", [MALFORMED_ID, UNKNOWN_ID])
def test_add_component_answers_404_for_a_malformed_or_unknown_page_id(owner, page_id):
    assert_not_found(owner.api.post(f"/v1/status-page/{page_id}/component", {"name": "API"}))
    assert not Component.objects.exists()


@pytest.mark.parametrize(
    "body",
    [{}, {"name": ""}, {"name": None}, {"name": 7}, {"name": ["API"]}, {"name": "x" * 201}],
    ids=["missing", "empty", "null", "number", "array", "too-long"],
)
def test_add_component_rejects_a_bad_name_with_422_naming_it(owner, body):
    page = make_status_page(owner.organization)
    assert_invalid(owner.api.post(component_path(page), body, format="json"), "name")
    assert not Component.objects.exists()


@pytest.mark.parametrize(
    "raw", [b"{nope", b"[]", deeply_nested()], ids=["malformed", "array", "deep"]
)
def test_add_component_answers_422_for_a_bad_body(owner, raw):
    page = make_status_page(owner.organization)
    response = send_raw(owner.api, "POST", component_path(page), raw)
    assert response.status_code == 422
    assert set(response.json()) == {"message", "errors"}
    assert not Component.objects.exists()
