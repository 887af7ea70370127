from django.urls import path

from statuspages import views

urlpatterns = [
    path("status-pages", views.StatusPageListView.as_view(), name="statuspage-list"),
    path(
        "status-pages/<str:status_page_id>/components",
        views.ComponentCreateView.as_view(),
        name="statuspage-component-create",
    ),
    path(
        "status/<str:status_page_id>",
        views.PublicStatusPageView.as_view(),
        name="statuspage-public",
    ),
]
