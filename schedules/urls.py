from django.urls import path

from schedules import personal_views, views

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
        "oncall/<str:team_id>/rotations/new",
        views.RotationFormView.as_view(),
        name="oncall-rotation-create",
    ),
    path(
        "oncall/<str:team_id>/rotations/<str:rotation_id>",
        views.RotationFormView.as_view(),
        name="oncall-rotation-edit",
    ),
    path(
        "oncall/<str:team_id>/rotations/<str:rotation_id>/delete",
        views.RotationDeleteView.as_view(),
        name="oncall-rotation-delete",
    ),
    path(
        "oncall/<str:team_id>/layers/import",
        views.LayerImportView.as_view(),
        name="oncall-layer-import",
    ),
    path(
        "oncall/<str:team_id>/layers/<str:layer_id>/delete",
        views.LayerDeleteView.as_view(),
        name="oncall-layer-delete",
    ),
    path("my/shifts", personal_views.MyShiftsView.as_view(), name="my-shifts"),
    path("my/shifts/cover", personal_views.AskCoverView.as_view(), name="my-cover-ask"),
    path(
        "my/shifts/cover/<str:cover_id>/<str:action>",
        personal_views.CoverActionView.as_view(),
        name="my-cover-action",
    ),
    path("my/feed", personal_views.MyFeedView.as_view(), name="my-feed"),
    path("my/settings", personal_views.MySettingsView.as_view(), name="my-settings"),
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
