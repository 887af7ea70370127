"""What every pinghome model admin shares.

* Tenancy: a staff user who is not a superuser sees and edits only the objects of their own
  organization. Each admin names the path from its model to the organization
  (``organization_path``, e.g. ``"team__organization"``); the changelist, the change pages,
  the choices of foreign keys (select, autocomplete, raw id), the related list filters and the
  consistency check of saved forms all follow it. Superusers see everything, and even they
  cannot link objects of two organizations (a ruleset of one with the team of another).
* JSON fields are edited as indented JSON in a monospace textarea, and shown indented.
* Records written by the product itself (events, timeline, dedup states) are read-only.
"""

from __future__ import annotations

import copy
import json
import uuid
from functools import reduce
from operator import or_
from typing import Any

from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.exceptions import NotRegistered
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q, QuerySet
from django.forms.fields import InvalidJSONInput
from django.utils.html import format_html

from audit import services as audit
from audit.models import AuditAction

# --------------------------------------------------------------------------- JSON


class PrettyJSONField(forms.JSONField):
    """JSON in an indented, monospace textarea; ``empty`` is the value of a blank input."""

    def __init__(self, *, empty: Any = None, **kwargs):
        self.empty = empty
        kwargs.setdefault(
            "widget",
            forms.Textarea(
                attrs={
                    "rows": 10,
                    "cols": 90,
                    "spellcheck": "false",
                    "style": "font-family: monospace",
                }
            ),
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, InvalidJSONInput):
            return value
        return json.dumps(value, ensure_ascii=False, indent=2, cls=self.encoder)

    def to_python(self, value):
        value = super().to_python(value)
        if value is None and self.empty is not None:
            return copy.deepcopy(self.empty)
        return value


def json_text(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False, default=str)
    except (TypeError, ValueError, RecursionError):
        return repr(value)


def preformatted(text: str) -> str:
    """``text`` escaped in a wrapping, scrollable ``<pre>``."""
    return format_html(
        '<pre style="white-space: pre-wrap; word-break: break-all; max-height: 40em; '
        'overflow: auto; margin: 0">{}</pre>',
        text,
    )


def pretty_json(value: Any) -> str:
    return preformatted(json_text(value))


# --------------------------------------------------------------------------- tenancy


def organization_id_of(obj: models.Model, path: str) -> Any:
    """The id of the organization ``obj`` belongs to, following ``path`` (``"pk"``: itself)."""
    if path == "pk":
        return obj.pk
    *hops, last = path.split("__")
    try:
        for hop in hops:
            obj = getattr(obj, hop)
            if obj is None:
                return None
    except ObjectDoesNotExist:
        return None
    return getattr(obj, f"{last}_id")


def scoped_admin_for(admin_site: admin.AdminSite, model) -> OrganizationScopedAdmin | None:
    try:
        model_admin = admin_site.get_model_admin(model)
    except NotRegistered:
        return None
    return model_admin if isinstance(model_admin, TenancyMixin) else None


def scoped_choices(admin_site, model, queryset: QuerySet | None, request) -> QuerySet | None:
    """``queryset`` (or all rows) of ``model`` limited to what the user may see."""
    related = scoped_admin_for(admin_site, model)
    if related is None:
        return queryset
    if queryset is None:
        queryset = model._default_manager.all()
    if related.str_select_related:
        queryset = queryset.select_related(*related.str_select_related)
    return related.scope_queryset(queryset, request)


def check_same_organization(form: forms.ModelForm, path: str, admin_site) -> None:
    """Every object the form links to must belong to the organization of the form's object."""
    if path == "pk":
        return
    own = organization_id_of(form.instance, path)
    if own is None:
        return
    for name, field in form.fields.items():
        if name not in form.cleaned_data or not isinstance(field, forms.ModelChoiceField):
            continue
        related = scoped_admin_for(admin_site, field.queryset.model)
        if related is None:
            continue
        value = form.cleaned_data[name]
        linked = value if isinstance(field, forms.ModelMultipleChoiceField) else [value]
        if any(
            item is not None and organization_id_of(item, related.organization_path) != own
            for item in linked
        ):
            form.add_error(name, "Must belong to the same organization.")


def with_organization_check(form_class, model_admin):
    """A subclass of ``form_class`` that runs :func:`check_same_organization` once valid."""

    class OrganizationCheckedForm(form_class):
        def _post_clean(self):
            super()._post_clean()
            check_same_organization(self, model_admin.organization_path, model_admin.admin_site)

    OrganizationCheckedForm.__name__ = form_class.__name__
    return OrganizationCheckedForm


class ScopedRelatedFilter(admin.RelatedFieldListFilter):
    """A related-object filter offering only objects the user may see."""

    def field_choices(self, field, request, model_admin):
        model = field.remote_field.model
        queryset = scoped_choices(model_admin.admin_site, model, None, request)
        if queryset is None:
            return super().field_choices(field, request, model_admin)
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            queryset = queryset.order_by(*ordering)
        return [(obj.pk, str(obj)) for obj in queryset]


class TenancyMixin:
    """Scoping shared by model admins and inlines (see the module docstring)."""

    # Path from the model to its Organization ("pk" for Organization itself).
    organization_path: str = "organization"
    # What ``__str__`` reads, so that lists of choices do not query once per row.
    str_select_related: tuple[str, ...] = ()
    formfield_overrides = {models.JSONField: {"form_class": PrettyJSONField}}

    def scope_queryset(self, queryset: QuerySet, request) -> QuerySet:
        if request.user.is_superuser:
            return queryset
        organization_id = getattr(request.user, "organization_id", None)
        if organization_id is None:
            return queryset.none()
        return queryset.filter(**{self.organization_path: organization_id})

    def get_field_queryset(self, db, db_field, request):
        queryset = super().get_field_queryset(db, db_field, request)
        model = db_field.remote_field.model
        if queryset is None and scoped_admin_for(self.admin_site, model) is not None:
            queryset = model._default_manager.using(db)
        return scoped_choices(self.admin_site, model, queryset, request)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.JSONField) and not db_field.null and db_field.has_default():
            kwargs.setdefault("empty", db_field.get_default())
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class OrganizationScopedAdmin(TenancyMixin, admin.ModelAdmin):
    """The base of every pinghome ModelAdmin.

    ``uuid_search_fields``: when the search term is a UUID, the rows whose one of these fields
    equals it (an index lookup); other terms go to ``search_fields`` (none: no match).

    Every addition, change and deletion made here, inlines included, is in the audit log, as
    the services record theirs (an admin that saves through a service does not call these).
    """

    uuid_search_fields: tuple[str, ...] = ()

    def save_model(self, request, obj, form, change):
        before = _stored_snapshot(obj) if change else None
        super().save_model(request, obj, form, change)
        _audit(request.user, obj, self.organization_path, before, audit.snapshot(obj))

    def delete_model(self, request, obj):
        _audit(request.user, obj, self.organization_path, audit.snapshot(obj), None)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            _audit(request.user, obj, self.organization_path, audit.snapshot(obj), None)
        super().delete_queryset(request, queryset)

    def save_formset(self, request, form, formset, change):
        model = formset.model
        changed = [f.instance.pk for f in formset.initial_forms if f.has_changed()]
        before = {
            pk: audit.snapshot(obj) for pk, obj in model._default_manager.in_bulk(changed).items()
        }
        super().save_formset(request, form, formset, change)
        path = self.organization_path
        owner = form.instance
        organization_id = organization_id_of(owner, path)
        for obj in formset.new_objects:
            _audit(request.user, obj, None, None, audit.snapshot(obj), organization_id)
        for obj, _fields in formset.changed_objects:
            snapshot = audit.snapshot(obj)
            _audit(request.user, obj, None, before.get(obj.pk), snapshot, organization_id)
        for obj in formset.deleted_objects:
            _audit(request.user, obj, None, audit.snapshot(obj), None, organization_id)

    def get_queryset(self, request):
        return self.scope_queryset(super().get_queryset(request), request)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return with_organization_check(form, self)

    def get_list_filter(self, request):
        list_filter = tuple(super().get_list_filter(request))
        names = {item[0] if isinstance(item, tuple) else item for item in list_filter}
        path = self.organization_path
        if request.user.is_superuser and path != "pk" and path not in names:
            list_filter += ((path, ScopedRelatedFilter),)
        return list_filter

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        if self.organization_path == "organization" and request.user.organization_id:
            initial.setdefault("organization", request.user.organization_id)
        return initial

    def get_search_fields(self, request):
        return self.search_fields or (("pk",) if self.uuid_search_fields else ())

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if term and self.uuid_search_fields:
            try:
                value = uuid.UUID(term)
            except ValueError:
                pass
            else:
                matches = reduce(or_, (Q(**{name: value}) for name in self.uuid_search_fields))
                return queryset.filter(matches), False
        if term and not self.search_fields:
            return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)

    def get_deleted_objects(self, objs, request):
        """Records of read-only admins go with the object they belong to (an incident's timeline).

        Without this, having no delete permission on the read-only records would forbid
        deleting their owner.
        """
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        read_only = {
            str(model._meta.verbose_name)
            for model in apps.get_models()
            if isinstance(scoped_admin_for(self.admin_site, model), ReadOnlyAdminMixin)
        }
        return to_delete, model_count, {p for p in perms_needed if p not in read_only}, protected


def _stored_snapshot(obj: models.Model) -> dict[str, Any] | None:
    stored = type(obj)._default_manager.filter(pk=obj.pk).first()
    return audit.snapshot(stored) if stored is not None else None


def _audit(by, obj, path, before, after, organization_id=None) -> None:
    """Record a change made in the admin (nothing for an object of no organization)."""
    if organization_id is None and path is not None:
        organization_id = organization_id_of(obj, path)
    if organization_id is None:
        return
    if before is not None and after is not None:
        audit.record_update(by, obj, before, after, organization_id=organization_id)
    else:
        action = AuditAction.CREATED if before is None else AuditAction.DELETED
        audit.record(by, action, obj, before=before, after=after, organization_id=organization_id)


class ScopedInline(TenancyMixin):
    """Mixin for inlines: scoped choices and the same-organization check of their forms."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = with_organization_check(formset.form, self)
        return formset


class ReadOnlyAdminMixin:
    """Rows the product writes (events, timeline, evaluation records): viewed, never edited."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
