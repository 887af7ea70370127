"""The policy form of the Escalation page: the API's serializer checks what it builds."""

from typing import Any

from django import forms

from accounts.models import Organization, Team, User
from escalation.api.serializers import MAX_STEPS, PolicyWriteSerializer
from escalation.models import MAX_DELAY_MINUTES, MAX_REPEAT, EscalationPolicy, TargetType
from notifications.models import ChatChannel
from pinghome.api import flatten_errors

EXTRA_STEPS = 2  # blank step rows offered under the policy's own (no script adds rows)


class Catalogue:
    """Every target of the organization: the choices of the step rows (``"type:id"``) and the
    names the pages show, read in three queries."""

    def __init__(self, organization_id: Any):
        teams = list(Team.objects.filter(organization_id=organization_id).order_by("name"))
        users = list(
            User.objects.filter(organization_id=organization_id, is_active=True).order_by("email")
        )
        channels = list(
            ChatChannel.objects.filter(team__organization_id=organization_id)
            .select_related("team")
            .order_by("team__name", "created_at")
        )
        self.choices = [
            ("Whoever is on call for", [(f"oncall:{t.pk}", t.name) for t in teams]),
            ("Everyone in", [(f"team:{t.pk}", t.name) for t in teams]),
            ("A person", [(f"user:{u.pk}", u.name or u.email) for u in users]),
            ("A chat channel", [(f"channel:{c.pk}", f"{c} ({c.team.name})") for c in channels]),
        ]
        self.labels = {f"{TargetType.ONCALL}:{t.pk}": f"on call for {t.name}" for t in teams} | {
            f"{TargetType.TEAM}:{t.pk}": f"everyone in {t.name}" for t in teams
        }
        self.labels |= {f"{TargetType.USER}:{u.pk}": u.name or u.email for u in users}
        self.labels |= {f"{TargetType.CHANNEL}:{c.pk}": f"chat channel {c}" for c in channels}

    def label(self, target: dict[str, str]) -> str:
        return self.labels.get(f"{target['type']}:{target['id']}", f"a removed {target['type']}")


class PolicyForm(forms.Form):
    name = forms.CharField(max_length=200)
    repeat = forms.IntegerField(
        min_value=0,
        max_value=MAX_REPEAT,
        initial=0,
        help_text="How many times the whole chain runs again while nobody acknowledges; "
        "step 1's delay then counts from the last step.",
    )


class StepForm(forms.Form):
    delay_minutes = forms.IntegerField(
        min_value=0,
        max_value=MAX_DELAY_MINUTES,
        required=False,
        label="After (minutes)",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    targets = forms.MultipleChoiceField(
        required=False, label="Page", widget=forms.SelectMultiple(attrs={"size": 6})
    )

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["targets"].choices = choices


StepFormSet = forms.formset_factory(StepForm, extra=0, max_num=MAX_STEPS + EXTRA_STEPS)


class PolicyPage:
    """The policy's form and its step rows; ``validated()`` is the API's body, checked by the
    API's own serializer. Rows without a target are left out."""

    def __init__(
        self, organization: Organization, policy: EscalationPolicy | None = None, data=None
    ):
        self.organization = organization
        self.catalogue = Catalogue(organization.pk)
        steps = list(policy.steps.all()) if policy else []
        self.form = PolicyForm(
            data, initial={"name": policy.name, "repeat": policy.repeat} if policy else None
        )
        initial = [
            {
                "delay_minutes": step.delay_minutes,
                "targets": [f"{t['type']}:{t['id']}" for t in step.targets],
            }
            for step in steps
        ] + [{} for _ in range(EXTRA_STEPS)]
        self.steps = StepFormSet(
            data,
            initial=initial,
            prefix="steps",
            form_kwargs={"choices": self.catalogue.choices},
        )

    def validated(self) -> dict[str, Any] | None:
        if not (self.form.is_valid() and self.steps.is_valid()):
            return None
        rows, steps = [], []
        for row, step in enumerate(self.steps):
            if step.cleaned_data.get("targets"):
                rows.append(row)
                steps.append(
                    {
                        "delay_minutes": step.cleaned_data.get("delay_minutes") or 0,
                        "targets": [
                            dict(zip(("type", "id"), value.split(":", 1), strict=True))
                            for value in step.cleaned_data["targets"]
                        ],
                    }
                )
        body = PolicyWriteSerializer(
            data={**self.form.cleaned_data, "steps": steps},
            context={"organization": self.organization},
        )
        if body.is_valid():
            return body.validated_data
        for path, messages in flatten_errors(body.errors).items():
            name, _, rest = path.partition(".")
            if name in ("name", "repeat"):
                self.form.add_error(name, messages)
            elif name == "steps" and rest[:1].isdigit():
                self.steps[rows[int(rest.split(".")[0])]].add_error(None, messages)
            else:
                self.form.add_error(None, messages)
        return None
