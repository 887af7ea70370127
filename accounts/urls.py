from django.urls import path

from accounts import views

urlpatterns = [
    path("settings/tokens", views.TokenListView.as_view(), name="token-list"),
    path(
        "settings/tokens/<str:token_id>/revoke",
        views.TokenRevokeView.as_view(),
        name="token-revoke",
    ),
]
