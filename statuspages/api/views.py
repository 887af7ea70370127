from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from pinghome.api import OrganizationAPIView, created
from pinghome.openapi import CREATED, ERRORS
from statuspages import services
from statuspages.api.serializers import (
    NameSerializer,
    StatusPageDetailSerializer,
    StatusPageSerializer,
)
from statuspages.models import StatusPage


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
        request=NameSerializer,
        responses={201: CREATED, **ERRORS},
    )
    def post(self, request):
        body = NameSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        page = services.create_status_page(self.organization, name=body.validated_data["name"])
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


class ComponentCreateView(OrganizationAPIView):
    @extend_schema(
        summary="Add a component to a status page (extension)",
        request=NameSerializer,
        responses={201: CREATED, **ERRORS},
    )
    def post(self, request, status_page_id):
        page = self.get_in_organization(StatusPage.objects, status_page_id)
        body = NameSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        component = services.add_component(page, name=body.validated_data["name"])
        return created(component.id)
