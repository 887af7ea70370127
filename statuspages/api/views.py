from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from incidents.models import Incident
from pinghome.api import OrganizationAPIView, created, invalid, keyset_page, ok, parse_uuid
from pinghome.openapi import CONFLICT, CREATED, ERRORS, FORBIDDEN, KEYSET_PARAMETERS, MESSAGE
from statuspages import services
from statuspages.api.serializers import (
    ComponentCreateSerializer,
    ComponentUpdateSerializer,
    NameSerializer,
    NoticeBodySerializer,
    NoticeSerializer,
    NoticeUpdateBodySerializer,
    StatusPageDetailSerializer,
    StatusPageSerializer,
)
from statuspages.models import Component, Notice, StatusPage


class StatusPageListView(OrganizationAPIView):
    @extend_schema(
        summary="Status pages (extension)",
        responses={200: StatusPageSerializer(many=True), **ERRORS},
    )
    def get(self, request):
        pages = StatusPage.objects.filter(organization=self.organization)
        return Response(StatusPageSerializer(pages, many=True).data)


class StatusPageCreateView(OrganizationAPIView):
    @extend_schema(
        summary="Create a status page (extension)",
        description="Organization admins only, as every change of status pages and components.",
        request=NameSerializer,
        responses={201: CREATED, **FORBIDDEN, **ERRORS},
    )
    def post(self, request):
        body = NameSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        page = services.create_status_page(
            self.organization, by=request.user, name=body.validated_data["name"]
        )
        return created(page.id)


class StatusPageView(OrganizationAPIView):
    @extend_schema(
        summary="A status page with its components and their status (extension)",
        responses={200: StatusPageDetailSerializer, **ERRORS},
    )
    def get(self, request, status_page_id):
        page = self.get_in_organization(
            StatusPage.objects.prefetch_related("components"), status_page_id
        )
        return Response(StatusPageDetailSerializer(page).data)

    @extend_schema(
        summary="Rename a status page (extension)",
        request=NameSerializer,
        responses={200: MESSAGE, **FORBIDDEN, **ERRORS},
    )
    def put(self, request, status_page_id):
        page = self.get_in_organization(StatusPage.objects, status_page_id)
        body = NameSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.rename_status_page(page, by=request.user, name=body.validated_data["name"])
        return ok("Status page updated.")

    @extend_schema(
        summary="Delete a status page and its components (extension)",
        description="While a ruleset's trigger-alerts action names one of its components, a "
        "409 naming the rulesets.",
        responses={200: MESSAGE, **FORBIDDEN, **CONFLICT, **ERRORS},
    )
    def delete(self, request, status_page_id):
        page = self.get_in_organization(StatusPage.objects, status_page_id)
        services.delete_status_page(page, by=request.user)
        return ok("Status page deleted.")


class ComponentCreateView(OrganizationAPIView):
    @extend_schema(
        summary="Add a component to a status page (extension)",
        description="`name` is internal; the public page shows `public_name` (default: `name`) "
        "and `description`.",
        request=ComponentCreateSerializer,
        responses={201: CREATED, **FORBIDDEN, **ERRORS},
    )
    def post(self, request, status_page_id):
        page = self.get_in_organization(StatusPage.objects, status_page_id)
        body = ComponentCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        component = services.add_component(page, by=request.user, **body.validated_data)
        return created(component.id)


class ComponentView(OrganizationAPIView):
    def get_component(self, status_page_id, component_id) -> Component:
        page = self.get_in_organization(StatusPage.objects, status_page_id)
        pk = parse_uuid(component_id)
        component = (
            Component.objects.select_related("status_page").filter(status_page=page, pk=pk).first()
            if pk
            else None
        )
        if component is None:
            raise NotFound("Not found.")
        return component

    @extend_schema(
        summary="Change a component: names, description, manual status (extension)",
        request=ComponentUpdateSerializer,
        responses={200: MESSAGE, **FORBIDDEN, **ERRORS},
    )
    def put(self, request, status_page_id, component_id):
        component = self.get_component(status_page_id, component_id)
        body = ComponentUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.update_component(component, by=request.user, **body.validated_data)
        return ok("Component updated.")

    @extend_schema(
        summary="Delete a component (extension)",
        description="While a ruleset's trigger-alerts action names it, a 409 naming the "
        "rulesets (remove it from their actions first); incidents holding it let go.",
        responses={200: MESSAGE, **FORBIDDEN, **CONFLICT, **ERRORS},
    )
    def delete(self, request, status_page_id, component_id):
        component = self.get_component(status_page_id, component_id)
        services.delete_component(component, by=request.user)
        return ok("Component deleted.")


class NoticesView(OrganizationAPIView):
    """``POST .../notice`` publishes one, ``GET .../notices`` lists them."""

    @extend_schema(
        summary="A status page's notices (written updates), newest first (extension)",
        parameters=KEYSET_PARAMETERS("created_at"),
        responses={200: NoticeSerializer(many=True), **ERRORS},
    )
    def get(self, request, status_page_id):
        page = self.get_in_organization(StatusPage.objects, status_page_id)
        notices = keyset_page(request, page.notices.all(), "created_at").prefetch_related(
            "components", "updates__created_by"
        )
        return Response(NoticeSerializer(notices, many=True).data)

    @extend_schema(
        summary="Publish a notice with its first update (extension)",
        description="Organization admins and team members. The public page shows its `title`, "
        "its components' public names and its updates; `incident_id` links it to an incident "
        "of the organization for the dashboard only.",
        request=NoticeBodySerializer,
        responses={201: CREATED, **FORBIDDEN, **ERRORS},
    )
    def post(self, request, status_page_id):
        page = self.get_in_organization(StatusPage.objects, status_page_id)
        body = NoticeBodySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        incident_id = data.pop("incident_id", None)
        incident = None
        if incident_id is not None:
            incident = Incident.objects.filter(
                pk=incident_id, organization=self.organization
            ).first()
            if incident is None:
                raise invalid({"incident_id": ["no such incident in your organization"]})
        notice = services.post_notice(page, by=request.user, incident=incident, **data)
        return created(notice.id)


class NoticeView(OrganizationAPIView):
    def get_notice(self, status_page_id, notice_id) -> Notice:
        page = self.get_in_organization(StatusPage.objects, status_page_id)
        pk = parse_uuid(notice_id)
        notice = page.notices.filter(pk=pk).first() if pk else None
        if notice is None:
            raise NotFound("Not found.")
        return notice

    @extend_schema(
        summary="A notice with its updates (extension)",
        responses={200: NoticeSerializer, **ERRORS},
    )
    def get(self, request, status_page_id, notice_id):
        return Response(NoticeSerializer(self.get_notice(status_page_id, notice_id)).data)


class NoticeUpdateView(NoticeView):
    @extend_schema(
        summary="Post an update of a notice (extension)",
        description="`resolved` closes it: a resolved notice takes no further update (409).",
        request=NoticeUpdateBodySerializer,
        responses={201: CREATED, **FORBIDDEN, **CONFLICT, **ERRORS},
    )
    def post(self, request, status_page_id, notice_id):
        notice = self.get_notice(status_page_id, notice_id)
        body = NoticeUpdateBodySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        update = services.post_notice_update(notice, by=request.user, **body.validated_data)
        return created(update.id)
