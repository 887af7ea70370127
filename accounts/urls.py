from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import oidc, signin, views

urlpatterns = [
    path("settings/tokens", views.TokenListView.as_view(), name="token-list"),
    path(
        "settings/tokens/<str:token_id>/revoke",
        views.TokenRevokeView.as_view(),
        name="token-revoke",
    ),
    path("login", signin.SignInView.as_view(), name="login"),
    path("logout", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "login/link/<str:uidb64>/<str:token>", signin.SignInLinkView.as_view(), name="signin-link"
    ),
    path("login/sso", oidc.SignInStartView.as_view(), name="oidc_authentication_init"),
    path(
        "login/sso/callback",
        oidc.SignInCallbackView.as_view(),
        name="oidc_authentication_callback",
    ),
    path("password-reset", signin.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent", signin.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/complete",
        signin.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path(
        "password-reset/<str:uidb64>/<str:token>",
        signin.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("settings/teams", views.TeamListView.as_view(), name="team-list"),
    path("settings/teams/<str:team_id>", views.TeamDetailView.as_view(), name="team-detail"),
    path("settings/teams/<str:team_id>/delete", views.TeamDeleteView.as_view(), name="team-delete"),
    path(
        "settings/teams/<str:team_id>/members",
        views.MemberAddView.as_view(),
        name="team-member-add",
    ),
    path(
        "settings/teams/<str:team_id>/members/<str:team_member_id>/<str:action>",
        views.MemberActionView.as_view(),
        name="team-member-action",
    ),
    path(
        "settings/teams/<str:team_id>/invitations/<str:invitation_id>/<str:action>",
        views.InvitationActionView.as_view(),
        name="invitation-action",
    ),
    path("settings/users/<str:user_id>/role", views.UserRoleView.as_view(), name="user-role"),
    path(
        "settings/users/<str:user_id>/lockout",
        views.UserLockoutView.as_view(),
        name="user-lockout",
    ),
    path("invitation/<str:token>", views.InvitationAcceptView.as_view(), name="invitation-accept"),
]
