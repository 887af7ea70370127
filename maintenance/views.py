"""Maintenance window pages: the list with a form for a new one, editing, deleting."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils import timezone
from django.views.generic import TemplateView

from maintenance import services, windows
from maintenance.forms import MaintenanceWindowForm
from maintenance.models import MaintenanceWindow
from pinghome.pages import OrganizationPageMixin
from schedules.forms import WEEK_DAYS, names

PAST_SHOWN = 20


class MaintenanceListView(OrganizationPageMixin, TemplateView):
    template_name = "maintenance/window_list.html"

    def form(self, data=None, window=None) -> MaintenanceWindowForm:
        return MaintenanceWindowForm(
            data,
            organization=self.organization,
            zone=timezone.get_current_timezone(),  # the viewer's (ViewerTimeZoneMiddleware)
            window=window,
        )

    def get_context_data(self, form=None, **kwargs):
        now = timezone.now()
        found = MaintenanceWindow.objects.filter(organization=self.organization).prefetch_related(
            "webhooks", "rulesets", "teams"
        )
        current = list(found.filter(end__gt=now).order_by("start", "id"))
        for window in current:
            loaded = windows.window(window)
            window.active_now = loaded.active_at(now)
            window.next = next(
                (
                    (start, end)
                    for start, end in loaded.occurrences(now - windows.LOOKBACK, window.end)
                    if end > now
                ),
                None,
            )
        past = list(found.filter(end__lte=now).order_by("-end", "id")[:PAST_SHOWN])
        for window in (*current, *past):
            window.days = names(WEEK_DAYS, (window.recurrence or {}).get("week_days", []))
        return super().get_context_data(
            nav="maintenance",
            current=current,
            past=past,
            form=form or self.form(),
            **kwargs,
        )

    def post(self, request):
        form = self.form(request.POST)
        data = form.validated()
        if data is None:
            return self.render_to_response(self.get_context_data(form=form), status=422)
        window = services.create_window(self.organization, by=request.user, data=data)
        messages.success(request, f"Maintenance window “{window.reason}” scheduled.")
        return redirect("maintenance-list")


class MaintenanceEditView(MaintenanceListView):
    template_name = "maintenance/window_form.html"

    def get_context_data(self, window_id, form=None, **kwargs):
        window = self.get_in_organization(
            MaintenanceWindow.objects.prefetch_related("webhooks", "rulesets", "teams"),
            window_id,
        )
        return {
            **TemplateView.get_context_data(self, **kwargs),
            "nav": "maintenance",
            "window": window,
            "form": form or self.form(window=window),
        }

    def post(self, request, window_id):
        window = self.get_in_organization(MaintenanceWindow.objects, window_id)
        if "delete" in request.POST:
            services.delete_window(window, by=request.user)
            messages.success(request, f"Maintenance window “{window.reason}” deleted.")
            return redirect("maintenance-list")
        form = self.form(request.POST)
        data = form.validated()
        if data is None:
            context = self.get_context_data(window_id=window_id, form=form)
            return self.render_to_response(context, status=422)
        services.update_window(window, by=request.user, data=data)
        messages.success(request, f"Maintenance window “{data['reason']}” saved.")
        return redirect("maintenance-list")
