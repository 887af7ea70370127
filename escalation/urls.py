from django.urls import path

from escalation import views

urlpatterns = [
    path("escalation", views.PoliciesView.as_view(), name="escalation"),
    path(
        "escalation/<str:team_id>/policies/new",
        views.PolicyFormView.as_view(),
        name="escalation-policy-create",
    ),
    path(
        "escalation/<str:team_id>/policies/<str:policy_id>",
        views.PolicyFormView.as_view(),
        name="escalation-policy-edit",
    ),
    path(
        "escalation/<str:team_id>/policies/<str:policy_id>/default",
        views.PolicyDefaultView.as_view(),
        name="escalation-policy-default",
    ),
    path(
        "escalation/<str:team_id>/policies/<str:policy_id>/delete",
        views.PolicyDeleteView.as_view(),
        name="escalation-policy-delete",
    ),
]
