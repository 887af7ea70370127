"""Forms of the account pages: what the API's serializers take, as page widgets."""

from datetime import timedelta

from django import forms
from django.utils import timezone

from accounts.models import TokenScope, User
from accounts.permissions import grantable_scopes

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
