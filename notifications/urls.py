from django.urls import path

from notifications import views

urlpatterns = [
    path("profile", views.ProfileView.as_view(), name="profile"),
    path("profile/contact-method", views.AddContactMethodView.as_view(), name="profile-add-method"),
    path(
        "profile/contact-method/<str:contact_method_id>/verify",
        views.VerifyContactMethodView.as_view(),
        name="profile-verify-method",
    ),
    path(
        "profile/contact-method/<str:contact_method_id>/code",
        views.ResendCodeView.as_view(),
        name="profile-resend-code",
    ),
    path(
        "profile/contact-method/<str:contact_method_id>/delete",
        views.DeleteContactMethodView.as_view(),
        name="profile-delete-method",
    ),
    path(
        "profile/contact-method/<str:contact_method_id>/edit",
        views.EditContactMethodView.as_view(),
        name="profile-edit-method",
    ),
    path("profile/rules/<str:urgency>", views.RulesView.as_view(), name="profile-rules"),
    path("profile/test-page", views.TestPageView.as_view(), name="profile-test-page"),
    path("profile/time-zone", views.TimeZoneView.as_view(), name="profile-time-zone"),
    path("deliveries", views.TeamDeliveriesView.as_view(), name="team-deliveries"),
    path(
        "chat-channels/<str:chat_channel_id>/delete",
        views.DeleteChatChannelView.as_view(),
        name="chat-channel-delete",
    ),
    path("respond/<str:incident_id>/<str:token>", views.LinkView.as_view(), name="link"),
]
