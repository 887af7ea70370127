from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from maintenance import services, windows
from maintenance.api.serializers import (
    MaintenanceWindowSerializer,
    MaintenanceWindowWriteSerializer,
)
from maintenance.models import MaintenanceWindow
from pinghome.api import OrganizationAPIView, created, ok
from pinghome.openapi import CREATED, ERRORS, MESSAGE

WINDOWS = MaintenanceWindow.objects.prefetch_related(*windows.SCOPE)
WHO = (
    " Organization admins for a window of the whole organization; managers of every team, "
    "ruleset and webhook a scoped window names; 403 otherwise."
)


class MaintenanceWindowListView(OrganizationAPIView):
    @extend_schema(
        summary="Maintenance windows of the organization (extension)",
        description="Latest start first.",
        responses={200: MaintenanceWindowSerializer(many=True), **ERRORS},
    )
    def get(self, request):
        found = WINDOWS.filter(organization=self.organization).order_by("-start", "id")
        return Response(MaintenanceWindowSerializer(found, many=True).data)


class MaintenanceWindowCreateView(OrganizationAPIView):
    @extend_schema(
        summary="Schedule a maintenance window (extension)",
        description=(
            "While it is active, events of its scope are stored and evaluated but open no "
            "incident and page no one (their evaluation says `suppressed`, with "
            "`maintenance_window_id`). Once it ends, a key whose last event still says "
            "failing opens its incident." + WHO
        ),
        request=MaintenanceWindowWriteSerializer,
        responses={201: CREATED, **ERRORS},
    )
    def post(self, request):
        body = MaintenanceWindowWriteSerializer(
            data=request.data, context={"organization": self.organization}
        )
        body.is_valid(raise_exception=True)
        window = services.create_window(
            self.organization, by=request.user, data=body.validated_data
        )
        return created(window.id)


class MaintenanceWindowView(OrganizationAPIView):
    @extend_schema(
        summary="One maintenance window (extension)",
        responses={200: MaintenanceWindowSerializer, **ERRORS},
    )
    def get(self, request, window_id):
        window = self.get_in_organization(WINDOWS, window_id)
        return Response(MaintenanceWindowSerializer(window).data)

    @extend_schema(
        summary="Change a maintenance window (extension)",
        description="Replaces every field." + WHO,
        request=MaintenanceWindowWriteSerializer,
        responses={200: MESSAGE, **ERRORS},
    )
    def put(self, request, window_id):
        window = self.get_in_organization(MaintenanceWindow.objects, window_id)
        body = MaintenanceWindowWriteSerializer(
            data=request.data, context={"organization": self.organization}
        )
        body.is_valid(raise_exception=True)
        services.update_window(window, by=request.user, data=body.validated_data)
        return ok("Maintenance window updated.")

    @extend_schema(
        summary="Delete a maintenance window (extension)",
        description="It ends at once." + WHO,
        responses={200: MESSAGE, **ERRORS},
    )
    def delete(self, request, window_id):
        window = self.get_in_organization(MaintenanceWindow.objects, window_id)
        services.delete_window(window, by=request.user)
        return ok("Maintenance window deleted.")
