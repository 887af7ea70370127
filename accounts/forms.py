"""Forms of the account pages: what the API's serializers take, as page widgets."""

from datetime import timedelta

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Team, TeamMember, TokenScope, User, validate_time_zone
from accounts.permissions import grantable_scopes
from escalation.models import EscalationPolicy

SCOPE_HELP = {
    TokenScope.READ: "read: GET requests",
    TokenScope.WRITE: "write: every other request",
    TokenScope.ADMIN: "admin: what your organization admin role allows",
}
EXPIRY_CHOICES = [("", "Never"), ("7", "In 7 days"), ("30", "In 30 days"), ("90", "In 90 days")]
EXPIRY_CHOICES += [("365", "In a year")]


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, widget=forms.TextInput(attrs={"placeholder": "e.g. reporting script"})
    )
    scopes = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple, initial=["read"])
    expires_in_days = forms.TypedChoiceField(
        label="Expires", choices=EXPIRY_CHOICES, coerce=int, empty_value=None, required=False
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = grantable_scopes(user)
        self.fields["scopes"].choices = [
            (scope.value, SCOPE_HELP[scope]) for scope in TokenScope if scope.value in allowed
        ]

    @property
    def validated(self) -> dict:
        """The keyword arguments of ``accounts.services.create_token``."""
        days = self.cleaned_data["expires_in_days"]
        return {
            "name": self.cleaned_data["name"],
            "scopes": self.cleaned_data["scopes"],
            "expires_at": timezone.now() + timedelta(days=days) if days else None,
        }


class TeamCreateForm(forms.Form):
    name = forms.CharField(max_length=200)
    time_zone = forms.CharField(max_length=64, initial="UTC", validators=[validate_time_zone])


class TeamSettingsForm(forms.Form):
    """What ``PUT /v1/team/{id}`` changes, for the team's page."""

    name = forms.CharField(max_length=200)
    time_zone = forms.CharField(max_length=64, validators=[validate_time_zone])
    escalation_policy_id = forms.ModelChoiceField(
        label="Default escalation policy",
        queryset=EscalationPolicy.objects.none(),
        empty_label=None,
        help_text="Followed by the team's incidents that name no other.",
    )

    def __init__(self, *args, team: Team, **kwargs):
        policies = EscalationPolicy.objects.filter(team=team)
        default = next((p.pk for p in policies if p.is_team_default), None)
        kwargs.setdefault(
            "initial",
            {"name": team.name, "time_zone": team.time_zone, "escalation_policy_id": default},
        )
        super().__init__(*args, **kwargs)
        self.fields["escalation_policy_id"].queryset = policies


class MemberForm(forms.Form):
    email = forms.EmailField(
        label="E-mail", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    role = forms.ChoiceField(choices=TeamMember.Role.choices, initial=TeamMember.Role.RESPONDER)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=TeamMember.Role.choices)


class UserRoleForm(forms.Form):
    role = forms.ChoiceField(choices=User.Role.choices)


class InvitationAcceptForm(forms.Form):
    name = forms.CharField(max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    password1 = forms.CharField(
        label="Password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label="Password again", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args, user: User, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords differ.")
        elif first:
            try:
                validate_password(first, self.user)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return data
