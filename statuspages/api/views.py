from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from pinghome.api import OrganizationAPIView, created, ok, parse_uuid
from pinghome.openapi import CONFLICT, CREATED, ERRORS, FORBIDDEN, MESSAGE
from statuspages import services
from statuspages.api.serializers import (
    NameSerializer,
    StatusPageDetailSerializer,
    StatusPageSerializer,
)
from statuspages.models import Component, StatusPage


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
        request=NameSerializer,
        responses={201: CREATED, **FORBIDDEN, **ERRORS},
    )
    def post(self, request, status_page_id):
        page = self.get_in_organization(StatusPage.objects, status_page_id)
        body = NameSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        component = services.add_component(page, by=request.user, name=body.validated_data["name"])
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
        summary="Rename a component (extension)",
        request=NameSerializer,
        responses={200: MESSAGE, **FORBIDDEN, **ERRORS},
    )
    def put(self, request, status_page_id, component_id):
        component = self.get_component(status_page_id, component_id)
        body = NameSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.rename_component(component, by=request.user, name=body.validated_data["name"])
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
