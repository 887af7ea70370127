from django.urls import path

from schedules import views

urlpatterns = [
    path("oncall", views.OnCallView.as_view(), name="oncall"),
    path(
        "oncall/<str:team_id>/entries/new",
        views.EntryFormView.as_view(),
        name="oncall-entry-create",
    ),
    path(
        "oncall/<str:team_id>/entries/<str:entry_id>",
        views.EntryFormView.as_view(),
        name="oncall-entry-edit",
    ),
    path(
        "oncall/<str:team_id>/entries/<str:entry_id>/delete",
        views.EntryDeleteView.as_view(),
        name="oncall-entry-delete",
    ),
    path(
        "oncall/<str:team_id>/overrides/new",
        views.OverrideCreateView.as_view(),
        name="oncall-override-create",
    ),
    path(
        "oncall/<str:team_id>/overrides/<str:override_id>/delete",
        views.OverrideDeleteView.as_view(),
        name="oncall-override-delete",
    ),
]
