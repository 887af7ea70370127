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
]
