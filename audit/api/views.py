from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from accounts.permissions import ensure_org_admin
from audit.api.serializers import AuditRecordSerializer
from audit.filters import AuditRecordFilterSet
from audit.models import AuditRecord
from pinghome.api import OrganizationAPIView, filtered_keyset_page
from pinghome.openapi import ERRORS, FORBIDDEN, KEYSET_PARAMETERS


def _or_empty(schema: dict) -> dict:
    """An empty filter (``?to=``) is no filter, as in the page's form."""
    return {"oneOf": [schema, {"type": "string", "maxLength": 0}]}


FILTERS = [
    OpenApiParameter(
        "object_type",
        {"type": "string", "maxLength": 50},
        description="e.g. ruleset, team, teammember, webhook.",
    ),
    OpenApiParameter("object_id", {"type": "string", "maxLength": 100}),
    OpenApiParameter(
        "actor_id",
        _or_empty({"type": "string", "format": "uuid"}),
        description="The id of the user who acted.",
    ),
    OpenApiParameter(
        "action", _or_empty({"type": "string", "enum": ["created", "updated", "deleted"]})
    ),
    OpenApiParameter(
        "from",
        _or_empty({"type": "string", "format": "date-time"}),
        description="RFC 3339: changes at or after.",
    ),
    OpenApiParameter(
        "to",
        _or_empty({"type": "string", "format": "date-time"}),
        description="RFC 3339: changes before.",
    ),
]


class AuditLogView(OrganizationAPIView):
    filterset_class = AuditRecordFilterSet

    @extend_schema(
        summary="The audit log: every change of configuration (extension)",
        description="Organization admins only. Newest first; who (the user, and the API token "
        "they used), when, what, the values before and after. Page with `last_created_at` and "
        "`last_id` taken from the last record of the previous page.",
        parameters=[*FILTERS, *KEYSET_PARAMETERS("created_at")],
        responses={200: AuditRecordSerializer(many=True), **FORBIDDEN, **ERRORS},
    )
    def get(self, request):
        ensure_org_admin(request.user)
        records = AuditRecord.objects.filter(organization=self.organization)
        filters = self.filterset_class(request.query_params, records)
        page = filtered_keyset_page(request, filters, "created_at")
        return Response(AuditRecordSerializer(page, many=True).data)
