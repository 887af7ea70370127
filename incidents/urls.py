from django.urls import path

from incidents import snooze_views, views

urlpatterns = [
    path("", views.IncidentListView.as_view(), name="incident-list"),
    path("incidents/bulk", views.IncidentBulkView.as_view(), name="incident-bulk"),
    path("incidents/filters", views.SavedFilterSaveView.as_view(), name="incident-filter-save"),
    path(
        "incidents/filters/<str:filter_id>/delete",
        views.SavedFilterDeleteView.as_view(),
        name="incident-filter-delete",
    ),
    path("incidents/<str:incident_id>", views.IncidentDetailView.as_view(), name="incident-detail"),
    path(
        "incidents/<str:incident_id>/snooze",
        snooze_views.IncidentSnoozeView.as_view(),
        name="incident-snooze",
    ),
    path(
        "incidents/<str:incident_id>/note", views.IncidentNoteView.as_view(), name="incident-note"
    ),
    path(
        "incidents/<str:incident_id>/responders",
        views.IncidentRespondersView.as_view(),
        name="incident-responders",
    ),
    path(
        "incidents/<str:incident_id>/merge",
        views.IncidentMergeView.as_view(),
        name="incident-merge",
    ),
    path(
        "incidents/<str:incident_id>/<str:transition>",
        views.IncidentTransitionView.as_view(),
        name="incident-transition",
    ),
]
