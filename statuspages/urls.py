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
        "status-pages/<str:status_page_id>/<str:action>",
        views.ChangeView.as_view(),
        name="statuspage-change",
    ),
    path(
        "status-pages/<str:status_page_id>/components/<str:component_id>/<str:action>",
        views.ChangeView.as_view(),
        name="component-change",
    ),
    path(
        "status/<str:status_page_id>",
        views.PublicStatusPageView.as_view(),
        name="statuspage-public",
    ),
]
