"""Signing in: the password form, one-time links, password reset (single sign-on:
``accounts.oidc``)."""

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from accounts.backends import password_signin_allowed
from accounts.links import user_of_link
from accounts.lockout import Lockout


class SignInForm(AuthenticationForm):
    """E-mail (any case) and password; a refusal says who may use a password at all."""

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        message = "Wrong e-mail address or password (the password is case-sensitive)."
        if settings.PASSWORD_SIGNIN == "admins":
            message += (
                " Only admins sign in with a password here; everyone else signs in with "
                f"{settings.OIDC_PROVIDER_NAME}."
            )
        self.error_messages = {**self.error_messages, "invalid_login": message}


class PasswordResetRequestForm(PasswordResetForm):
    """Links go only to users who may sign in with a password (``PASSWORD_SIGNIN``)."""

    def get_users(self, email):
        return (user for user in super().get_users(email) if password_signin_allowed(user))


def sign_in_options() -> dict:
    """What the sign-in page offers: single sign-on, and who may use a password."""
    return {
        "oidc_enabled": settings.OIDC_ENABLED,
        "provider_name": settings.OIDC_PROVIDER_NAME,
        "password_signin": settings.PASSWORD_SIGNIN,
    }


def render_sign_in(request, *, email: str | None, lockout: Lockout, status: int) -> HttpResponse:
    """The sign-in page for a locked-out attempt (django-axes' lockout answer)."""
    context = {
        "form": SignInForm(request, initial={"username": email or ""}),
        "lockout": lockout,
        "next": request.POST.get("next") or request.GET.get("next", ""),
        **sign_in_options(),
    }
    return render(request, "registration/login.html", context, status=status)


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        if settings.PASSWORD_SIGNIN == "off":
            return self.http_method_not_allowed(request, *args, **kwargs)
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **sign_in_options()}


@method_decorator(never_cache, name="dispatch")
class SignInLinkView(View):
    """A one-time link (``manage.py signin_link``): a button signs in, so that a link preview
    or a scanner opening it does not use it up."""

    def get(self, request, uidb64: str, token: str):
        return self.page(request, user_of_link(uidb64, token))

    def post(self, request, uidb64: str, token: str):
        user = user_of_link(uidb64, token)
        if user is None:
            return self.page(request, None, status=400)
        login(request, user, backend="accounts.backends.PasswordBackend")
        return redirect(settings.LOGIN_REDIRECT_URL)

    def page(self, request, user, status: int = 200) -> HttpResponse:
        context = {"link_user": user, "max_age_minutes": settings.SIGNIN_LINK_MAX_AGE // 60}
        return render(request, "registration/signin_link.html", context, status=status)


class PasswordResetRequiredMixin:
    """Password reset exists only while someone may sign in with a password."""

    def dispatch(self, request, *args, **kwargs):
        if settings.PASSWORD_SIGNIN == "off":
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class PasswordResetView(PasswordResetRequiredMixin, auth_views.PasswordResetView):
    form_class = PasswordResetRequestForm
    email_template_name = "registration/password_reset_email.txt"

    @property
    def extra_email_context(self) -> dict:
        return {"site_url": settings.SITE_URL}


class PasswordResetDoneView(PasswordResetRequiredMixin, auth_views.PasswordResetDoneView):
    pass


class PasswordResetConfirmView(PasswordResetRequiredMixin, auth_views.PasswordResetConfirmView):
    def form_valid(self, form):
        # Proving control of the address also lifts a lockout of the account.
        AxesProxyHandler.reset_attempts(username=form.user.email)
        return super().form_valid(form)


class PasswordResetCompleteView(PasswordResetRequiredMixin, auth_views.PasswordResetCompleteView):
    pass
