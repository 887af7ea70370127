from django.contrib import admin

from accounts.admin_base import OrganizationScopedAdmin, ReadOnlyAdminMixin, pretty_json
from audit.models import AuditRecord


@admin.register(AuditRecord)
class AuditRecordAdmin(ReadOnlyAdminMixin, OrganizationScopedAdmin):
    """Read-only: the audit log is append-only, no admin path edits or deletes it."""

    list_display = ("created_at", "actor", "action", "object_type", "object_repr", "token_name")
    list_filter = ("action", "object_type")
    search_fields = ("actor", "object_id", "object_repr")
    date_hierarchy = "created_at"
    exclude = ("before", "after")
    readonly_fields = ("before_values", "after_values")

    @admin.display(description="before")
    def before_values(self, obj):
        return pretty_json(obj.before)

    @admin.display(description="after")
    def after_values(self, obj):
        return pretty_json(obj.after)
