from django.urls import path

from incidents import reports_views

urlpatterns = [
    path("reports", reports_views.ReportView.as_view(), name="reports"),
]
