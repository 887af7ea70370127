from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.api import views as accounts
from audit.api import views as audit
from escalation.api import views as escalation
from incidents.api import reports
from incidents.api import views as incidents
from maintenance.api import views as maintenance
from notifications.api import views as notifications
from pinghome import monitoring
from rulesets.api import views as rulesets
from schedules.api import cover as schedule_cover
from schedules.api import layers as schedule_layers
from schedules.api import oncall
from schedules.api import rotations as schedule_rotations
from schedules.api import views as schedules
from statuspages.api import views as statuspages
from webhooks import views as ingest
from webhooks.api import views as webhooks

api = [
    path("health-check", accounts.HealthCheckView.as_view()),
    path("teams", accounts.TeamListView.as_view()),
    path("team/<str:team_id>", accounts.TeamView.as_view()),
    path("team/<str:team_id>/members", accounts.TeamMemberListView.as_view()),
    path("team", accounts.TeamCreateView.as_view()),
    path("team/<str:team_id>/member", accounts.TeamMemberCreateView.as_view()),
    path("team/<str:team_id>/member/<str:team_member_id>", accounts.TeamMemberView.as_view()),
    path("users", accounts.UserListView.as_view()),
    path("audit-log", audit.AuditLogView.as_view()),
    path("tokens", accounts.TokenListView.as_view()),
    path("token", accounts.TokenCreateView.as_view()),
    path("token/<str:token_id>", accounts.TokenView.as_view()),
    path("rulesets", rulesets.RulesetListView.as_view()),
    path("ruleset", rulesets.RulesetCreateView.as_view()),
    path("ruleset/test", rulesets.RulesetTestView.as_view()),
    path("ruleset/<str:ruleset_id>/test", rulesets.SavedRulesetTestView.as_view()),
    path("ruleset/<str:ruleset_id>", rulesets.RulesetView.as_view()),
    path("ruleset/<str:ruleset_id>/actions", rulesets.RulesetActionsView.as_view()),
    path("webhooks", webhooks.WebhookListView.as_view()),
    path("webhook", webhooks.WebhookCreateView.as_view()),
    path("webhook/<str:webhook_id>", webhooks.WebhookView.as_view()),
    path("webhook/<str:webhook_id>/events", webhooks.WebhookEventsView.as_view()),
    path("webhook/<str:webhook_id>/rotate", webhooks.WebhookRotateView.as_view()),
    path("webhook/<str:webhook_id>/event/<str:event_id>", webhooks.WebhookEventView.as_view()),
    path("incident/webhook/<str:webhook_id>", ingest.ingest, name="ingest"),
    path("team/<str:team_id>/incidents", incidents.TeamIncidentsView.as_view()),
    path("team/<str:team_id>/incident", incidents.TeamIncidentCreateView.as_view()),
    path("incident/<str:incident_id>", incidents.IncidentView.as_view()),
    path("incident/<str:incident_id>/actions", incidents.IncidentActionsView.as_view()),
    path("incident/<str:incident_id>/snooze", incidents.IncidentSnoozeView.as_view()),
    path("incident/<str:incident_id>/timeline", incidents.IncidentTimelineView.as_view()),
    path("incident/<str:incident_id>/escalate", incidents.IncidentEscalateView.as_view()),
    path("incident/<str:incident_id>/note", incidents.IncidentNoteView.as_view()),
    path("incident/<str:incident_id>/merge", incidents.IncidentMergeView.as_view()),
    path("reports", reports.ReportView.as_view()),
    path("customer/<str:organization_id>/schedule", schedules.CustomerScheduleView.as_view()),
    path("team/<str:team_id>/schedule", schedules.TeamScheduleView.as_view()),
    path("team/<str:team_id>/oncall", oncall.OnCallView.as_view()),
    path("team/<str:team_id>/shifts", oncall.ShiftsView.as_view()),
    path("team/<str:team_id>/override", oncall.TeamOverridesView.as_view()),
    path("team/<str:team_id>/overrides", oncall.TeamOverridesView.as_view()),
    path("override/<str:override_id>", oncall.OverrideView.as_view()),
    path("team/<str:team_id>/calendar-feed", oncall.TeamFeedsView.as_view()),
    path("team/<str:team_id>/calendar-feeds", oncall.TeamFeedsView.as_view()),
    path("calendar-feed/<str:feed_id>", oncall.FeedView.as_view()),
    path("calendar/<str:secret>.ics", oncall.PublicFeedView.as_view()),
    path("team/<str:team_id>/rotation", schedule_rotations.TeamRotationsView.as_view()),
    path("team/<str:team_id>/rotations", schedule_rotations.TeamRotationsView.as_view()),
    path("rotation/<str:rotation_id>", schedule_rotations.RotationView.as_view()),
    path("team/<str:team_id>/cover-request", schedule_cover.TeamCoverRequestsView.as_view()),
    path("team/<str:team_id>/cover-requests", schedule_cover.TeamCoverRequestsView.as_view()),
    path("cover-request/<str:cover_id>", schedule_cover.CoverRequestView.as_view()),
    path("cover-request/<str:cover_id>/take", schedule_cover.TakeCoverView.as_view()),
    path("team/<str:team_id>/layer-import", schedule_layers.TeamLayerImportView.as_view()),
    path("team/<str:team_id>/layers", schedule_layers.TeamLayersView.as_view()),
    path("layer/<str:layer_id>", schedule_layers.LayerView.as_view()),
    path("user/contact-methods", notifications.ContactMethodListView.as_view()),
    path("user/contact-method", notifications.ContactMethodCreateView.as_view()),
    path("user/contact-method/<str:contact_method_id>", notifications.ContactMethodView.as_view()),
    path(
        "user/contact-method/<str:contact_method_id>/verify",
        notifications.ContactMethodVerifyView.as_view(),
    ),
    path(
        "user/contact-method/<str:contact_method_id>/verification",
        notifications.ContactMethodCodeView.as_view(),
    ),
    path("user/notification-rules", notifications.NotificationRulesView.as_view()),
    path("user/test-page", notifications.TestPageView.as_view()),
    path("user/deliveries", notifications.UserDeliveriesView.as_view()),
    path("team/<str:team_id>/deliveries", notifications.TeamDeliveriesView.as_view()),
    path("team/<str:team_id>/chat-channel", notifications.TeamChatChannelsView.as_view()),
    path("team/<str:team_id>/chat-channels", notifications.TeamChatChannelsView.as_view()),
    path("chat-channel/<str:chat_channel_id>", notifications.ChatChannelView.as_view()),
    path("team/<str:team_id>/escalation-policy", escalation.TeamPoliciesView.as_view()),
    path("team/<str:team_id>/escalation-policies", escalation.TeamPoliciesView.as_view()),
    path("escalation-policy/<str:policy_id>", escalation.PolicyView.as_view()),
    path("notification-channels", notifications.ChannelListView.as_view()),
    path("notification-channel", notifications.ChannelCreateView.as_view()),
    path("notification-channel/<str:channel_id>", notifications.ChannelView.as_view()),
    path("maintenance-windows", maintenance.MaintenanceWindowListView.as_view()),
    path("maintenance-window", maintenance.MaintenanceWindowCreateView.as_view()),
    path("maintenance-window/<str:window_id>", maintenance.MaintenanceWindowView.as_view()),
    path("status-pages", statuspages.StatusPageListView.as_view()),
    path("status-page", statuspages.StatusPageCreateView.as_view()),
    path("status-page/<str:status_page_id>", statuspages.StatusPageView.as_view()),
    path("status-page/<str:status_page_id>/component", statuspages.ComponentCreateView.as_view()),
    path(
        "status-page/<str:status_page_id>/component/<str:component_id>",
        statuspages.ComponentView.as_view(),
    ),
    path("status-page/<str:status_page_id>/notice", statuspages.NoticesView.as_view()),
    path("status-page/<str:status_page_id>/notices", statuspages.NoticesView.as_view()),
    path(
        "status-page/<str:status_page_id>/notice/<str:notice_id>",
        statuspages.NoticeView.as_view(),
    ),
    path(
        "status-page/<str:status_page_id>/notice/<str:notice_id>/update",
        statuspages.NoticeUpdateView.as_view(),
    ),
    # After every fixed "user/..." route: a user id never looks like one.
    path("user/<str:user_id>", accounts.UserView.as_view()),
    path("user/<str:user_id>/lockout", accounts.UserLockoutView.as_view()),
    path("schema", SpectacularAPIView.as_view(), name="schema"),
    # Its start-up script served apart (?script): no inline script under the policy.
    path("docs", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
]

urlpatterns = [
    path("v1/", include(api)),
    path("metrics", monitoring.MetricsView.as_view()),
    # Browsers ask for /favicon.ico whatever the pages' <link rel="icon"> says.
    path("favicon.ico", RedirectView.as_view(url=static("pinghome/favicon.svg"))),
    path("admin/", admin.site.urls),
    # Pages: each app adds its own urls.py here.
    path("", include("incidents.urls")),
    path("", include("rulesets.urls")),
    path("", include("schedules.urls")),
    path("", include("incidents.reports_urls")),
    path("", include("webhooks.urls")),
    path("", include("statuspages.urls")),
    path("", include("maintenance.urls")),
    path("", include("accounts.urls")),  # tokens; sign-in, single sign-on, password reset
    path("", include("audit.urls")),
    path("", include("notifications.urls")),
    path("", include("escalation.urls")),
]

handler404 = "pinghome.api.not_found"
handler500 = "pinghome.api.server_error"
