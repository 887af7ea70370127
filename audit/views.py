"""The Audit log page (organization admins): the API's filters and paging, as a page."""

from urllib.parse import urlencode

from django.utils import timezone
from django.views.generic import TemplateView
from rest_framework.exceptions import ValidationError

from accounts.permissions import ensure_org_admin
from audit.filters import AuditRecordFilterSet
from audit.models import AuditRecord
from pinghome.api import filtered_keyset_page
from pinghome.pages import OrganizationPageMixin

PER_PAGE = 50


class AuditLogView(OrganizationPageMixin, TemplateView):
    template_name = "audit/audit_log.html"

    def get_context_data(self, **kwargs):
        ensure_org_admin(self.request.user)
        records = AuditRecord.objects.filter(organization=self.organization)
        filters = AuditRecordFilterSet(self.request.GET or None, records)
        errors: dict = {}
        try:
            page = list(filtered_keyset_page(self.request, filters, "created_at"))
        except ValidationError as exc:
            page, errors = [], exc.detail
        for record in page:
            record.changes = changes(record)
        older_url = None
        if len(page) == int(self.request.GET.get("limit") or PER_PAGE) and page:
            query = self.request.GET.copy()
            query["last_created_at"] = page[-1].created_at.isoformat()
            query["last_id"] = str(page[-1].pk)
            older_url = "?" + urlencode(query, doseq=True)
        return super().get_context_data(
            nav="audit",
            zone=timezone.get_current_timezone(),  # the viewer's (ViewerTimeZoneMiddleware)
            filters=filters,
            errors=errors,
            records=page,
            older_url=older_url,
            paged="last_created_at" in self.request.GET,
            object_types=object_types(self.organization),
            **kwargs,
        )


def changes(record: AuditRecord) -> list[tuple[str, object, object]]:
    """(field, before, after) of every value the record holds."""
    before = record.before if isinstance(record.before, dict) else {}
    after = record.after if isinstance(record.after, dict) else {}
    return [(name, before.get(name), after.get(name)) for name in {**before, **after}]


def object_types(organization) -> list[str]:
    """The kinds of object the organization's log holds (an index-only scan)."""
    return list(
        AuditRecord.objects.filter(organization=organization)
        .order_by("object_type")
        .values_list("object_type", flat=True)
        .distinct()
    )
