from django.urls import path

from webhooks import pages

urlpatterns = [
    path("webhooks", pages.WebhookListView.as_view(), name="webhook-list"),
    path("webhooks/<str:webhook_id>", pages.WebhookDetailView.as_view(), name="webhook-detail"),
    path(
        "webhooks/<str:webhook_id>/heartbeat",
        pages.HeartbeatView.as_view(),
        name="webhook-heartbeat",
    ),
    path("webhooks/<str:webhook_id>/edit", pages.WebhookEditView.as_view(), name="webhook-edit"),
    path(
        "webhooks/<str:webhook_id>/rotate", pages.WebhookRotateView.as_view(), name="webhook-rotate"
    ),
    path(
        "webhooks/<str:webhook_id>/delete", pages.WebhookDeleteView.as_view(), name="webhook-delete"
    ),
]
