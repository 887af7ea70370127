"""Account pages: API tokens, teams and their members, and accepting an invitation."""

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from accounts import services
from accounts.forms import (
    InvitationAcceptForm,
    MemberForm,
    MemberRoleForm,
    TeamCreateForm,
    TeamSettingsForm,
    TokenForm,
    UserRoleForm,
)
from accounts.models import Invitation, Team, TeamMember, User
from accounts.permissions import is_team_manager
from audit.models import AuditRecord
from escalation.models import EscalationPolicy
from escalation.views import described_policies
from pinghome.api import Conflict
from pinghome.pages import OrganizationPageMixin

RECENT_CHANGES = 20


def add_errors(form, exc: ValidationError) -> None:
    """A service's ``ValidationError`` (by field) onto the form that sent the values."""
    for field, problems in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, problems)


class TokenListView(OrganizationPageMixin, TemplateView):
    """Your API tokens (an admin's: everyone's of the organization); create one, revoke."""

    template_name = "accounts/token_list.html"

    def get_context_data(self, form=None, **kwargs):
        tokens = services.visible_tokens(self.request.user).select_related("user")
        return super().get_context_data(
            nav="tokens",
            tokens=tokens.order_by("revoked_at", "-created_at", "-id")[:500],
            form=form or TokenForm(user=self.request.user),
            everyone=self.request.user.is_org_admin,
            now=timezone.now(),
            **kwargs,
        )

    def post(self, request):
        form = TokenForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                token, raw = services.create_token(request.user, **form.validated)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                # The secret is in this answer only: never stored, never shown again.
                context = self.get_context_data(created=token, secret=raw)
                return self.render_to_response(context, status=201)
        return self.render_to_response(self.get_context_data(form=form), status=422)


class TokenRevokeView(OrganizationPageMixin, View):
    def post(self, request, token_id):
        token = self.get_in_organization(
            services.visible_tokens(request.user).select_related("user"),
            token_id,
            field="user__organization",
        )
        services.revoke_token(token, by=request.user)
        messages.success(request, f"Token {token.name or token.pk} revoked.")
        return redirect("token-list")


# --------------------------------------------------------------------------- teams


class TeamListView(OrganizationPageMixin, TemplateView):
    """Every team with its size; admins create teams here and set people's organization role."""

    template_name = "accounts/team_list.html"

    def get_context_data(self, form=None, **kwargs):
        user = self.request.user
        teams = Team.objects.filter(organization=self.organization).annotate(
            member_count=Count("members"),
            manager_count=Count("members", filter=Q(members__role=TeamMember.Role.MANAGER)),
        )
        return super().get_context_data(
            nav="teams",
            teams=teams.order_by("name"),
            form=form or TeamCreateForm(),
            is_admin=user.is_org_admin,
            users=self.people() if user.is_org_admin else [],
            user_roles=User.Role.choices,
            **kwargs,
        )

    def people(self) -> list[User]:
        """The organization's users, each with ``locked_until`` (None: not locked)."""
        users = list(services.organization_users(self.organization))
        lockouts = services.lockouts(users)
        for person in users:
            person.locked_until = lockouts.get(person.pk)
        return users

    def post(self, request):
        form = TeamCreateForm(request.POST)
        if form.is_valid():
            try:
                team = services.create_team(self.organization, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, f"Team {team.name} created: invite its members.")
                return redirect("team-detail", team_id=team.pk)
        return self.render_to_response(self.get_context_data(form=form), status=422)


class TeamPageMixin(OrganizationPageMixin):
    def get_team(self, team_id) -> Team:
        return self.get_in_organization(Team.objects, team_id)


class TeamDetailView(TeamPageMixin, TemplateView):
    """A team's settings, members and their roles, invitations, and recent membership changes."""

    template_name = "accounts/team_detail.html"

    def get_context_data(self, team, settings_form=None, member_form=None, **kwargs):
        members = team.members.select_related("user", "invitation").order_by(
            "user__name", "user__email"
        )
        invitations = [m.invitation for m in members if _invitation(m) and services.pending(m.user)]
        return super().get_context_data(
            nav="teams",
            team=team,
            can_manage=is_team_manager(self.request.user, team),
            is_admin=self.request.user.is_org_admin,
            members=members,
            member_roles=TeamMember.Role.choices,
            invitations=invitations,
            settings_form=settings_form or TeamSettingsForm(team=team),
            member_form=member_form or MemberForm(),
            changes=_membership_changes(team),
            default_policy=EscalationPolicy.objects.filter(team=team, is_team_default=True).first(),
            **described_policies(team, self.request.user),
            now=timezone.now(),
            **kwargs,
        )

    def get(self, request, team_id):
        return self.render_to_response(self.get_context_data(self.get_team(team_id)))

    def post(self, request, team_id):
        team = self.get_team(team_id)
        form = TeamSettingsForm(request.POST, team=team)
        if form.is_valid():
            try:
                services.update_team_settings(team, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, f"Team {team.name} saved.")
                return redirect("team-detail", team_id=team.pk)
        team.refresh_from_db()
        return self.render_to_response(self.get_context_data(team, settings_form=form), status=422)


def _invitation(member: TeamMember) -> Invitation | None:
    try:
        return member.invitation
    except Invitation.DoesNotExist:
        return None


def _membership_changes(team: Team) -> list[AuditRecord]:
    """The latest additions, role changes and removals of the team's members (the audit log)."""
    # Additions and removals name the team; role changes, the member.
    members = [str(pk) for pk in team.members.values_list("pk", flat=True)]
    of_team = (
        Q(after__team_id=str(team.pk)) | Q(before__team_id=str(team.pk)) | Q(object_id__in=members)
    )
    return list(
        AuditRecord.objects.filter(organization_id=team.organization_id, object_type="teammember")
        .filter(of_team)
        .order_by("-created_at", "-id")[:RECENT_CHANGES]
    )


class TeamDeleteView(TeamPageMixin, View):
    """GET asks for confirmation (saying what still needs the team), POST deletes."""

    def get(self, request, team_id):
        return self.confirm(self.get_team(team_id))

    def post(self, request, team_id):
        team = self.get_team(team_id)
        try:
            services.delete_team(team, by=request.user)
        except Conflict as exc:
            return self.confirm(team, blocked=exc, status=409)
        messages.success(request, f"Team {team.name} deleted.")
        return redirect("team-list")

    def confirm(self, team: Team, *, blocked: Conflict | None = None, status: int = 200):
        context = {"nav": "teams", "team": team, "blocked": blocked}
        return render(self.request, "accounts/team_confirm_delete.html", context, status=status)


class MemberAddView(TeamDetailView):
    """POST an e-mail address and a role: added at once, or invited."""

    http_method_names = ["post"]

    def post(self, request, team_id):
        team = self.get_team(team_id)
        form = MemberForm(request.POST)
        if form.is_valid():
            try:
                member = services.add_member(team, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
            except Conflict as exc:
                form.add_error("email", str(exc.detail))
            else:
                if services.pending(member.user):
                    messages.success(request, f"Invitation sent to {member.user.email}.")
                else:
                    messages.success(request, f"{member.user.email} added to {team.name}.")
                return redirect("team-detail", team_id=team.pk)
        return self.render_to_response(self.get_context_data(team, member_form=form), status=422)


class MemberActionView(TeamPageMixin, View):
    """POST ``role`` (with a role) or ``remove`` for one member of the team."""

    def post(self, request, team_id, team_member_id, action):
        team = self.get_team(team_id)
        member = self.get_in_organization(
            TeamMember.objects.filter(team=team).select_related("team", "user"),
            team_member_id,
            field="team__organization",
        )
        if action == "role":
            form = MemberRoleForm(request.POST)
            if not form.is_valid():
                messages.error(request, "Choose manager or responder.")
            else:
                services.change_member_role(member, by=request.user, **form.cleaned_data)
                messages.success(request, f"{member.user.email} is now a {member.role}.")
        elif action == "remove":
            services.remove_member(member, by=request.user)
            messages.success(request, f"{member.user.email} removed from {team.name}.")
        else:
            raise Http404
        return redirect("team-detail", team_id=team.pk)


class InvitationActionView(TeamPageMixin, View):
    """POST ``resend`` (a new link) or ``revoke`` for a pending invitation of the team."""

    def post(self, request, team_id, invitation_id, action):
        team = self.get_team(team_id)
        invitation = self.get_in_organization(
            Invitation.objects.filter(team_member__team=team).select_related(
                "team_member__team", "team_member__user"
            ),
            invitation_id,
            field="team_member__team__organization",
        )
        try:
            if action == "resend":
                services.resend_invitation(invitation, by=request.user)
                messages.success(request, f"Invitation sent again to {invitation.email}.")
            elif action == "revoke":
                services.revoke_invitation(invitation, by=request.user)
                messages.success(request, f"Invitation of {invitation.email} withdrawn.")
            else:
                raise Http404
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("team-detail", team_id=team.pk)


class UserRoleView(OrganizationPageMixin, View):
    """POST an organization role for a user (admins)."""

    def post(self, request, user_id):
        user = self.get_in_organization(User.objects, user_id)
        form = UserRoleForm(request.POST)
        if form.is_valid():
            try:
                services.change_user_role(user, by=request.user, **form.cleaned_data)
            except Conflict as exc:
                messages.error(request, str(exc.detail))
            else:
                messages.success(request, f"{user.email} is now an organization {user.role}.")
        return redirect(reverse("team-list") + "#people")


class UserLockoutView(OrganizationPageMixin, View):
    """POST clears a user's sign-in lockout (admins)."""

    def post(self, request, user_id):
        user = self.get_in_organization(User.objects, user_id)
        until = services.clear_lockout(user, by=request.user)  # 403 unless an admin
        said = "may sign in again" if until else "was not locked"
        messages.success(request, f"{user.email} {said}.")
        return redirect(reverse("team-list") + "#people")


# --------------------------------------------------------------------------- invitations


class InvitationAcceptView(View):
    """The e-mailed link: set a name and a password, then be signed in. No sign-in needed."""

    template_name = "accounts/invitation_accept.html"

    def get(self, request, token):
        try:
            invitation = services.find_invitation(token)
        except services.InvitationInvalid as exc:
            return self.invalid(exc)
        return self.render(invitation, InvitationAcceptForm(user=invitation.team_member.user))

    def post(self, request, token):
        try:
            invitation = services.find_invitation(token)
        except services.InvitationInvalid as exc:
            return self.invalid(exc)
        form = InvitationAcceptForm(request.POST, user=invitation.team_member.user)
        if not form.is_valid():
            return self.render(invitation, form, status=422)
        try:
            user = services.accept_invitation(
                token, name=form.cleaned_data["name"], password=form.cleaned_data["password1"]
            )
        except services.InvitationInvalid as exc:
            return self.invalid(exc)
        login(request, user, backend="accounts.backends.PasswordBackend")
        messages.success(request, f"Welcome to {invitation.team_member.team.name}.")
        return redirect("incident-list")

    def render(self, invitation: Invitation, form, status: int = 200):
        context = {"invitation": invitation, "form": form, "public_page": True}
        return render(self.request, self.template_name, context, status=status)

    def invalid(self, exc: Exception):
        context = {"problem": str(exc), "public_page": True}
        return render(self.request, self.template_name, context, status=410)
