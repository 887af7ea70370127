from django import forms


class NameForm(forms.Form):
    """A status page or a component: a name (the API's NameSerializer takes the same)."""

    name = forms.CharField(max_length=200)
