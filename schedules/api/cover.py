"""Cover requests: a member asks teammates to cover (part of) their shifts; one takes it."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from accounts.models import Team
from pinghome.api import Conflict, OrganizationAPIView, created, invalid, ok, parse_uuid
from pinghome.openapi import CONFLICT, CREATED, ERRORS, MESSAGE
from schedules import services
from schedules.models import CoverRequest

EXT = "Extension. "


class CoverRequestWriteSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class CoverRequestSerializer(serializers.ModelSerializer):
    team_id = serializers.UUIDField(read_only=True)
    requester_id = serializers.UUIDField(read_only=True, help_text="Team member id")
    taken_by_id = serializers.UUIDField(read_only=True, allow_null=True)
    override_id = serializers.UUIDField(read_only=True, allow_null=True)
    status = serializers.SerializerMethodField()

    class Meta:
        model = CoverRequest
        fields = [
            "id",
            "team_id",
            "requester_id",
            "start",
            "end",
            "created_at",
            "status",
            "taken_by_id",
            "taken_at",
            "override_id",
            "cancelled_at",
        ]
        read_only_fields = fields

    def get_status(self, cover) -> str:
        return "open" if cover.is_open else "taken" if cover.taken_at else "cancelled"


def _call(action, *args, **kwargs):
    try:
        return action(*args, **kwargs)
    except services.CoverNotAllowed as exc:
        raise invalid({exc.field: [str(exc)]}) from None
    except services.CoverConflict as exc:
        raise Conflict(str(exc)) from None


class TeamCoverRequestsView(OrganizationAPIView):
    @extend_schema(
        summary="Cover requests of a team",
        description=EXT + "Those not yet over, soonest first.",
        responses={200: CoverRequestSerializer(many=True), **ERRORS},
    )
    def get(self, request, team_id):
        team = self.get_in_organization(Team.objects, team_id)
        found = services.upcoming_cover_requests([team])[:500]
        return Response(CoverRequestSerializer(found, many=True).data)

    @extend_schema(
        summary="Ask for cover",
        description=EXT + "For the token's user, a member of the team, over [start, end) when "
        "they are on call in it (all of a shift or part of it). Teammates are notified.",
        request=CoverRequestWriteSerializer,
        responses={201: CREATED, **ERRORS},
    )
    def post(self, request, team_id):
        team = self.get_in_organization(Team.objects, team_id)
        body = CoverRequestWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        cover = _call(services.request_cover, team, by=request.user, **body.validated_data)
        return created(cover.id)


class _CoverLookup(OrganizationAPIView):
    def get_cover(self, cover_id) -> CoverRequest:
        pk = parse_uuid(cover_id)
        cover = (
            CoverRequest.objects.filter(pk=pk, team__organization=self.organization)
            .select_related("team", "requester")
            .first()
            if pk
            else None
        )
        if cover is None:
            raise NotFound("Not found.")
        return cover


class CoverRequestView(_CoverLookup):
    @extend_schema(
        summary="A cover request",
        description=EXT,
        responses={200: CoverRequestSerializer, **ERRORS},
    )
    def get(self, request, cover_id):
        return Response(CoverRequestSerializer(self.get_cover(cover_id)).data)

    @extend_schema(
        summary="Withdraw a cover request",
        description=EXT + "The requester's (or a team manager's); only while it is open.",
        responses={200: MESSAGE, **ERRORS, **CONFLICT},
    )
    def delete(self, request, cover_id):
        _call(services.cancel_cover, self.get_cover(cover_id), by=request.user)
        return ok("Cover request withdrawn.")


class TakeCoverView(_CoverLookup):
    @extend_schema(
        summary="Take a cover request",
        description=EXT + "Any teammate of the requester: an override gives them the "
        "requester's shifts of that period. 409 once taken or withdrawn.",
        request=None,
        responses={
            200: inline_serializer(
                "CoverTaken",
                {"message": serializers.CharField(), "override_id": serializers.UUIDField()},
            ),
            **ERRORS,
            **CONFLICT,
        },
    )
    def post(self, request, cover_id):
        override = _call(services.take_cover, self.get_cover(cover_id), by=request.user)
        return Response({"message": "Cover request taken.", "override_id": str(override.id)})
