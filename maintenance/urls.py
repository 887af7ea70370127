from django.urls import path

from maintenance import views

urlpatterns = [
    path("maintenance", views.MaintenanceListView.as_view(), name="maintenance-list"),
    path(
        "maintenance/<str:window_id>",
        views.MaintenanceEditView.as_view(),
        name="maintenance-edit",
    ),
]
