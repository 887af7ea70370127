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
        "status-pages/<str:status_page_id>/notices",
        views.NoticeCreateView.as_view(),
        name="statuspage-notice-create",
    ),
    path(
        "status-pages/<str:status_page_id>/notices/<str:notice_id>/updates",
        views.NoticeUpdateCreateView.as_view(),
        name="statuspage-notice-update",
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
    path(
        "status/<str:status_page_id>/feed.atom",
        views.NoticeFeed(),
        name="statuspage-feed",
    ),
    path(
        "status/<str:status_page_id>/subscribe",
        views.SubscribeView.as_view(),
        name="statuspage-subscribe",
    ),
    path(
        "status/<str:status_page_id>/confirm/<str:token>",
        views.ConfirmView.as_view(),
        name="statuspage-confirm",
    ),
    path(
        "status/<str:status_page_id>/unsubscribe/<str:token>",
        views.UnsubscribeView.as_view(),
        name="statuspage-unsubscribe",
    ),
]
