from django import forms

from statuspages.models import ComponentStatus, NoticeStatus, StatusPage


class NameForm(forms.Form):
    """A status page: a name (the API's NameSerializer takes the same)."""

    name = forms.CharField(max_length=200)


class ComponentForm(NameForm):
    """A component: its internal name, and what the public page shows (blank public name: the
    internal one), as the API's ComponentCreateSerializer."""

    public_name = forms.CharField(
        max_length=200, required=False, help_text="Shown on the public page; blank: the name."
    )
    description = forms.CharField(
        max_length=1000, required=False, help_text="Shown on the public page."
    )


class ManualStatusForm(forms.Form):
    manual_status = forms.ChoiceField(
        choices=[("", "Follow the incidents"), *ComponentStatus.choices], required=False
    )


class NoticeUpdateForm(forms.Form):
    status = forms.ChoiceField(choices=NoticeStatus.choices)
    message = forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class NoticeForm(NoticeUpdateForm):
    """A new notice on ``page``: a public title, its components, a first update."""

    title = forms.CharField(max_length=200, help_text="Public: say what users see.")
    components = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    field_order = ["title", "status", "message", "components"]

    def __init__(self, *args, page: StatusPage, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["components"].choices = [
            (str(c.pk), c.public_name) for c in page.components.all()
        ]


class SubscribeForm(forms.Form):
    email = forms.EmailField(label="E-mail address")
