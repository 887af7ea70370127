"""Account pages: API tokens, teams and their members."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from accounts import services
from accounts.forms import TokenForm
from pinghome.pages import OrganizationPageMixin


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
                for field, problems in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, problems)
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
