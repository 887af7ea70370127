"""Admin of organizations, users, teams and API tokens.

The base classes every pinghome admin uses (tenancy, pretty JSON, read-only records) live in
``accounts.admin_base``; high-volume changelists in ``accounts.admin_pagination``.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.utils import timezone

from accounts import services
from accounts.admin_base import (
    OrganizationScopedAdmin,
    ReadOnlyAdminMixin,
    ScopedInline,
    ScopedRelatedFilter,
)
from accounts.models import ApiToken, Invitation, Organization, Team, TeamMember, TokenScope, User
from accounts.permissions import grantable_scopes

# --------------------------------------------------------------------------- organizations


@admin.register(Organization)
class OrganizationAdmin(OrganizationScopedAdmin):
    organization_path = "pk"
    list_display = ("name", "created_at", "id")
    search_fields = ("name",)
    ordering = ("name",)
    readonly_fields = ("id", "created_at")

    # A staff user administers their organization; creating or deleting one is for superusers.
    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


# --------------------------------------------------------------------------- users


class EmailFormMixin:
    """E-mail addresses are stored lower-case (as ``UserManager`` does) and unique as such."""

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"])
        taken = User.objects.with_email(email).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError("A user with this e-mail address already exists.")
        return email


class UserCreationForm(EmailFormMixin, AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "name", "organization", "role")
        field_classes = {}


class UserChangeForm(EmailFormMixin, DjangoUserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
        field_classes = {}


# Fields that grant powers beyond one organization: only superusers see or set them.
SUPERUSER_ONLY_FIELDS = ("is_superuser", "groups", "user_permissions")


@admin.register(User)
class UserAdmin(OrganizationScopedAdmin, DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("name", "organization", "role")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "email",
                    "name",
                    "organization",
                    "role",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    list_display = ("email", "name", "organization", "role", "is_staff", "is_active", "last_login")
    list_filter = ("role", "is_staff", "is_active")
    list_select_related = ("organization",)
    search_fields = ("email", "name")
    ordering = ("email",)
    readonly_fields = ("last_login", "date_joined")

    def scope_queryset(self, queryset, request):
        queryset = super().scope_queryset(queryset, request)
        if not request.user.is_superuser:
            # A staff user cannot see (so cannot change the password of) a superuser.
            queryset = queryset.filter(is_superuser=False)
        return queryset

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        return tuple(
            (
                name,
                {
                    **options,
                    "fields": tuple(
                        field for field in options["fields"] if field not in SUPERUSER_ONLY_FIELDS
                    ),
                },
            )
            for name, options in fieldsets
        )

    def get_list_filter(self, request):
        list_filter = super().get_list_filter(request)
        return (*list_filter, "is_superuser") if request.user.is_superuser else list_filter


class TeamMemberInline(ScopedInline, admin.TabularInline):
    model = TeamMember
    organization_path = "team__organization"
    fields = ("user", "role", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("user",)
    extra = 0


# --------------------------------------------------------------------------- teams


@admin.register(Team)
class TeamAdmin(OrganizationScopedAdmin):
    list_display = ("name", "organization", "time_zone")
    list_select_related = ("organization",)
    search_fields = ("name",)
    uuid_search_fields = ("pk",)
    ordering = ("name",)
    fields = (
        "id",
        "organization",
        "name",
        "time_zone",
        "created_at",
    )
    readonly_fields = ("id", "created_at")
    inlines = (TeamMemberInline,)


@admin.register(TeamMember)
class TeamMemberAdmin(OrganizationScopedAdmin):
    organization_path = "team__organization"
    str_select_related = ("user", "team")
    list_display = ("user", "team", "role", "created_at")
    list_select_related = ("user", "team")
    list_filter = ("role", ("team", ScopedRelatedFilter))
    search_fields = ("user__email", "user__name", "team__name")
    uuid_search_fields = ("pk", "user_id", "team_id")
    ordering = ("team__name", "user__email")
    autocomplete_fields = ("user", "team")
    fields = ("id", "team", "user", "role", "created_at")
    readonly_fields = ("id", "created_at")


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdminMixin, OrganizationScopedAdmin):
    """Invitations are made by adding a member (the API or the team's page); here they are
    followed, resent or withdrawn (through the same services: audited, by managers and admins)."""

    organization_path = "team_member__team__organization"
    list_display = ("email", "team", "invited_by", "sent_at", "expires_at", "accepted_at")
    list_select_related = ("team_member__team", "invited_by")
    search_fields = ("email",)
    uuid_search_fields = ("pk", "team_member_id")
    ordering = ("-created_at",)
    fields = (
        "id",
        "email",
        "team_member",
        "invited_by",
        "created_at",
        "sent_at",
        "expires_at",
        "accepted_at",
    )
    readonly_fields = fields
    actions = ("resend_selected", "withdraw_selected")

    @admin.display(description="team")
    def team(self, invitation: Invitation) -> Team:
        return invitation.team_member.team

    def has_change_permission(self, request, obj=None):
        # Read-only pages; the actions need the permission to change invitations.
        return obj is None and request.user.has_perm("accounts.change_invitation")

    def _each(self, request, queryset, service, done: str) -> None:
        count = 0
        for invitation in queryset.select_related("team_member__team", "team_member__user"):
            try:
                service(invitation, by=request.user)
            except (ValidationError, PermissionDenied) as exc:
                messages.error(request, f"{invitation.email}: {exc}")
            else:
                count += 1
        messages.success(request, f"{done} {count} invitation(s).")

    @admin.action(description="Resend selected invitations (a new link)", permissions=["change"])
    def resend_selected(self, request, queryset):
        self._each(request, queryset, services.resend_invitation, "Resent")

    @admin.action(description="Withdraw selected invitations", permissions=["change"])
    def withdraw_selected(self, request, queryset):
        self._each(request, queryset, services.revoke_invitation, "Withdrew")


# --------------------------------------------------------------------------- API tokens


class TokenStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return (("usable", "Usable"), ("revoked", "Revoked"), ("expired", "Expired"))

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "usable":
            return queryset.usable()
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        if self.value() == "expired":
            return queryset.filter(revoked_at__isnull=True).filter(
                Q(expires_at__isnull=False) & Q(expires_at__lte=now)
            )
        return queryset


class ApiTokenAddForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=TokenScope.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="None ticked: every scope the user's role has.",
    )

    class Meta:
        model = ApiToken
        fields = ("user", "name", "scopes", "expires_at")

    def clean(self):
        data = super().clean()
        user = data.get("user")
        if user is not None:
            data["scopes"] = data.get("scopes") or sorted(grantable_scopes(user))
            try:
                services.validate_token_request(
                    user, scopes=data["scopes"], expires_at=data.get("expires_at")
                )
            except ValidationError as exc:
                for field, problems in exc.message_dict.items():
                    self.add_error(field, problems)
        return data


@admin.register(ApiToken)
class ApiTokenAdmin(OrganizationScopedAdmin):
    """Tokens are stored hashed: adding one issues it (``accounts.services.create_token``, which
    checks the scopes against the user's role and audits it) and shows the secret once."""

    organization_path = "user__organization"
    str_select_related = ("user",)
    list_display = ("name", "user", "created_at", "expires_at", "revoked_at", "usable")
    list_select_related = ("user",)
    list_filter = (TokenStateFilter,)
    search_fields = ("name", "user__email")
    uuid_search_fields = ("pk", "user_id")
    ordering = ("-created_at",)
    autocomplete_fields = ("user",)
    actions = ("revoke_selected",)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("user", "name", "scopes", "expires_at")
        return (
            "id",
            "user",
            "name",
            "scopes",
            "created_at",
            "expires_at",
            "last_used_at",
            "revoked_at",
        )

    def get_readonly_fields(self, request, obj=None):
        # A token is issued, then revoked; what it may do never changes under it.
        if obj is None:
            return ()
        return ("id", "user", "name", "scopes", "created_at", "expires_at", "last_used_at")

    def has_change_permission(self, request, obj=None):
        # Read-only once issued: revoke it (the list's action) and issue another.
        return False if obj is not None else super().has_change_permission(request, obj)

    @admin.display(boolean=True)
    def usable(self, token: ApiToken) -> bool:
        now = timezone.now()
        return token.revoked_at is None and (token.expires_at is None or token.expires_at > now)

    def save_model(self, request, obj, form, change):
        issued, raw = services.create_token(
            obj.user,
            name=obj.name,
            scopes=form.cleaned_data["scopes"],
            expires_at=obj.expires_at,
            by=request.user,
        )
        # Become the issued row, so the admin's log and redirect name it.
        obj.pk, obj.token_hash, obj.created_at = issued.pk, issued.token_hash, issued.created_at
        obj._state.adding, obj._state.db = False, issued._state.db
        messages.warning(
            request,
            f"API token for {obj.user}: {raw} — copy it now, it is not stored and will not be "
            "shown again.",
        )

    @admin.action(description="Revoke selected tokens", permissions=["change"])
    def revoke_selected(self, request, queryset):
        tokens = list(queryset.filter(revoked_at__isnull=True).select_related("user"))
        for token in tokens:
            services.revoke_token(token, by=request.user)
        messages.success(request, f"Revoked {len(tokens)} token(s).")
