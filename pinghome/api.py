"""What every API view shares: the error format, strict JSON parsing, tenant scoping."""

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpResponse, JsonResponse
from django.utils.dateparse import parse_datetime
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler


class Conflict(exceptions.APIException):
    """409; ``errors`` (optional) names what conflicts, in the 422's shape."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "Conflict."

    def __init__(self, detail=None, code=None, *, errors: Mapping[str, list[str]] | None = None):
        super().__init__(detail, code)
        self.errors = dict(errors or {})


def invalid(
    errors: Mapping[str, list[str]], message: str = "Invalid request."
) -> exceptions.ValidationError:
    """A 422 naming each invalid field (dotted paths)."""
    return exceptions.ValidationError(dict(errors), code=message)


def flatten_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as ``{"field.0.sub": ["reason", ...]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            name = "body" if key == "non_field_errors" and not prefix else str(key)
            flat.update(flatten_errors(value, f"{prefix}.{name}" if prefix else name))
    elif (
        isinstance(detail, list)
        and detail
        and all(not isinstance(d, (Mapping, list)) for d in detail)
    ):
        flat.setdefault(prefix or "body", []).extend(str(d) for d in detail)
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if value:
                flat.update(flatten_errors(value, f"{prefix}.{index}" if prefix else str(index)))
    elif detail:
        flat.setdefault(prefix or "body", []).append(str(detail))
    return flat


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"body": exc.messages}
        )
    if isinstance(exc, exceptions.ValidationError):
        return Response(
            {"message": "Invalid request.", "errors": flatten_errors(exc.detail)},
            status=status.HTTP_422_UNPROCESSABLE_ENTITY,
        )
    if isinstance(exc, exceptions.ParseError):
        return Response(
            {"message": "Invalid request body.", "errors": {"body": [str(exc.detail)]}},
            status=status.HTTP_422_UNPROCESSABLE_ENTITY,
        )
    if isinstance(exc, (Http404, ObjectDoesNotExist)):
        exc = exceptions.NotFound("Not found.")
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.APIException):
        response.data = {"message": _message(exc.detail)}
        if getattr(exc, "errors", None):
            response.data["errors"] = exc.errors
    return response


def _message(detail: Any) -> str:
    if isinstance(detail, list) and detail:
        return str(detail[0])
    if isinstance(detail, dict):
        return "; ".join(f"{k}: {v}" for k, v in detail.items())
    return str(detail)


def parse_uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


class OrganizationAPIView(APIView):
    # Base of every authenticated API view: every lookup goes through the caller's organization.

    @property
    def organization(self):
        return self.request.user.organization

    def get_in_organization(self, queryset: QuerySet, pk: Any) -> Model:
        """The object ``pk`` of ``queryset`` if it is of the caller's organization, else 404."""
        object_id = parse_uuid(pk)
        if object_id is None:
            raise exceptions.NotFound("Not found.")
        try:
            return queryset.get(pk=object_id, organization=self.organization)
        except queryset.model.DoesNotExist:
            raise exceptions.NotFound("Not found.") from None


def created(object_id: Any) -> Response:
    return Response({"id": str(object_id)}, status=status.HTTP_201_CREATED)


def ok(message: str) -> Response:
    return Response({"message": message}, status=status.HTTP_200_OK)


def not_found(request, exception=None):
    """JSON under /v1/, the HTML page elsewhere."""
    if request.path.startswith("/v1/"):
        return JsonResponse({"message": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if request.path.startswith("/v1/"):
        return JsonResponse({"message": "Internal error; it has been logged."}, status=500)
    return defaults.server_error(request)


def parse_instant(value: str) -> datetime | None:
    """An RFC 3339 instant (a naive one is taken as UTC); None when unparseable."""
    try:
        parsed = parse_datetime(value.strip().replace(" ", "+"))
    except (ValueError, TypeError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        # In UTC, so an offset the database cannot store (or a year past 9999) is a 422.
        return parsed.astimezone(UTC)
    except OverflowError:
        return None


def parse_count(value: str, *, maximum: int, minimum: int = 1) -> int | None:
    """An integer written in ASCII digits from ``minimum`` to ``maximum``; None otherwise.

    ``"²".isdigit()`` holds but ``int("²")`` raises, ``int("１")`` is 1 and a 5000-digit string
    raises too: only ASCII digits, at most 18 of them, are parsed.
    """
    if not (value.isascii() and value.isdigit() and len(value) <= 18):
        return None
    number = int(value)
    return number if minimum <= number <= maximum else None


DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


def keyset_page(request, queryset: QuerySet, time_field: str) -> QuerySet:
    """Newest first, paged backwards with ``limit``, ``last_<time_field>`` and ``last_id``.

    ``last_<time_field>`` alone returns what is strictly older; with ``last_id`` (the id of the
    last item of the previous page) items sharing that instant are continued without gap or repeat.
    """
    params = request.GET  # DRF's query_params; a page's request has only this
    errors: dict[str, list[str]] = {}
    limit = DEFAULT_PAGE_SIZE
    if "limit" in params:
        limit = parse_count(params["limit"], maximum=MAX_PAGE_SIZE)
        if limit is None:
            errors["limit"] = [f"expected an integer from 1 to {MAX_PAGE_SIZE}"]
    cursor_param = f"last_{time_field}"
    last_time = last_id = None
    if cursor_param in params:
        last_time = parse_instant(params[cursor_param])
        if last_time is None:
            errors[cursor_param] = ["expected an RFC 3339 date-time, e.g. 2024-03-15T19:09:39Z"]
    if "last_id" in params:
        last_id = parse_uuid(params["last_id"])
        if last_id is None:
            errors["last_id"] = ["expected a UUID"]
        elif cursor_param not in params:
            errors["last_id"] = [f"only meaningful together with {cursor_param}"]
    if errors:
        raise invalid(errors)
    if last_time is not None and last_id is not None:
        queryset = queryset.filter(
            Q(**{f"{time_field}__lt": last_time}) | Q(**{time_field: last_time, "id__lt": last_id})
        )
    elif last_time is not None:
        queryset = queryset.filter(**{f"{time_field}__lt": last_time})
    return queryset.order_by(f"-{time_field}", "-id")[:limit]


def filtered_keyset_page(request, filters, time_field: str) -> QuerySet:
    """``keyset_page`` of a django-filter FilterSet's results; every bad query parameter, of the
    filters and of the paging alike, is named in one 422."""
    from django_filters.utils import translate_validation

    errors = {} if filters.is_valid() else dict(translate_validation(filters.errors).detail)
    try:
        page = keyset_page(
            request, filters.qs if not errors else filters.queryset.none(), time_field
        )
    except exceptions.ValidationError as exc:
        errors.update(exc.detail)
    if errors:
        raise invalid(errors)
    return page


def rendered_list(items: QuerySet, serializer_class, *, rows_at_once: int = 10) -> HttpResponse:
    """The JSON array of ``items``, fetched a few rows at a time and rendered item by item.

    A page of large items (event bodies) never holds every row, every serialized item and the
    whole rendering at once, only the rendering and a few rows.
    """
    renderer = JSONRenderer()
    parts = [
        renderer.render(serializer_class(item).data)
        for item in items.iterator(chunk_size=rows_at_once)
    ]
    return HttpResponse(b"[" + b",".join(parts) + b"]", content_type="application/json")
