"""Rotations: participants taking turns, as layers over the schedule entries."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from accounts.models import Team
from pinghome.api import OrganizationAPIView, created, ok, parse_uuid
from pinghome.fields import StrictCharField, StrictIntegerField, StrictUUIDField
from pinghome.openapi import CREATED, ERRORS, MESSAGE
from schedules import rotations, services
from schedules.api.serializers import TimeOfDayField
from schedules.models import Rotation, RotationVersion, ShiftLength

EXT = "Extension. "


class RestrictionSerializer(serializers.Serializer):
    week_days = serializers.ListField(
        child=StrictIntegerField(min_value=0, max_value=6),
        required=False,
        allow_null=True,
        max_length=50,
        help_text="0 (Sunday) .. 6 (Saturday); empty, null or omitted: every day.",
    )
    start_time = TimeOfDayField(help_text="HH:MM:SS or HH:MM, local")
    end_time = TimeOfDayField(
        help_text="HH:MM:SS or HH:MM, exclusive; at or before start_time: overnight"
    )


class RotationWriteSerializer(serializers.Serializer):
    name = StrictCharField(max_length=200)
    layer = StrictIntegerField(
        required=False,
        min_value=rotations.MIN_LAYER,
        max_value=rotations.MAX_LAYER,
        help_text="A higher layer wins where it has someone; entries are below layer 1.",
    )
    participants = serializers.ListField(
        child=StrictUUIDField(),
        allow_empty=False,
        min_length=1,
        max_length=rotations.MAX_PARTICIPANTS,
        help_text="Team member ids in turn order: participant i holds shift k when k mod n = i.",
    )
    shift_length = serializers.ChoiceField(choices=ShiftLength.choices)
    shift_hours = StrictIntegerField(
        required=False, allow_null=True, help_text="For `custom` only: elapsed hours."
    )
    handoff = StrictCharField(
        max_length=40,
        help_text="Local wall-clock date-time of the first handoff in `time_zone`, "
        "e.g. 2025-01-06T09:00:00; the rotation starts there.",
    )
    time_zone = StrictCharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=64,
        help_text="IANA name; default the team's.",
    )
    end = serializers.DateTimeField(required=False, allow_null=True)
    restrictions = RestrictionSerializer(
        many=True, required=False, allow_null=True, help_text="Empty: always."
    )

    def validate(self, attrs):
        data = {**attrs, "participants": [str(p) for p in attrs["participants"]]}
        data["restrictions"] = [dict(r) for r in attrs.get("restrictions") or []]
        errors = rotations.validate_rotation_fields(data)
        team = self.context["team"]
        known = {
            str(pk)
            for pk in team.members.filter(pk__in=attrs["participants"]).values_list("pk", flat=True)
        }
        strangers = sorted(set(data["participants"]) - known)
        if strangers:
            errors.setdefault("participants", []).append(
                f"Not members of this team: {', '.join(strangers)}."
            )
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class RotationSerializer(serializers.Serializer):
    id = StrictUUIDField()
    team_id = StrictUUIDField()
    name = StrictCharField()
    layer = StrictIntegerField()
    participants = serializers.ListField(child=StrictUUIDField())
    shift_length = StrictCharField()
    shift_hours = StrictIntegerField(allow_null=True)
    handoff = StrictCharField(help_text="Local wall-clock date-time")
    time_zone = StrictCharField(help_text="Blank: the team's")
    end = serializers.DateTimeField(allow_null=True)
    restrictions = RestrictionSerializer(many=True)
    created_at = serializers.DateTimeField()
    effective_from = serializers.DateTimeField(help_text="When these settings took effect")

    @staticmethod
    def shape(rotation: Rotation, version: RotationVersion) -> dict:
        return {
            "id": rotation.id,
            "team_id": rotation.team_id,
            "created_at": rotation.created_at,
            **services.rotation_state(rotation, version),
        }


def _current(queryset):
    """Live rotations with their versions, latest first (``rotation.history``)."""
    return queryset.filter(deleted_at__isnull=True).prefetch_related(
        Prefetch(
            "versions",
            queryset=RotationVersion.objects.order_by("-effective_from"),
            to_attr="history",
        )
    )


def _data(rotation: Rotation) -> dict:
    return RotationSerializer(RotationSerializer.shape(rotation, rotation.history[0])).data


class TeamRotationsView(OrganizationAPIView):
    @extend_schema(
        summary="Rotations of a team",
        description=EXT + "Current settings of each rotation, lowest layer first.",
        responses={200: RotationSerializer(many=True), **ERRORS},
    )
    def get(self, request, team_id):
        team = self.get_in_organization(Team.objects, team_id)
        found = sorted(
            _current(team.rotations.all()),
            key=lambda r: (r.history[0].layer, r.created_at),
        )
        return Response([_data(r) for r in found])

    @extend_schema(
        summary="Create a rotation",
        description=EXT + "Participants take turns; daily and weekly shifts keep the handoff's "
        "wall-clock time across daylight saving, custom shifts step in elapsed hours.",
        request=RotationWriteSerializer,
        responses={201: CREATED, **ERRORS},
    )
    def post(self, request, team_id):
        team = self.get_in_organization(Team.objects, team_id)
        body = RotationWriteSerializer(data=request.data, context={"team": team})
        body.is_valid(raise_exception=True)
        rotation = services.create_rotation(team, body.validated_data, by=request.user)
        return created(rotation.id)


class RotationView(OrganizationAPIView):
    def get_rotation(self, rotation_id) -> Rotation:
        pk = parse_uuid(rotation_id)
        rotation = (
            _current(Rotation.objects.filter(pk=pk, team__organization=self.organization))
            .select_related("team")
            .first()
            if pk
            else None
        )
        if rotation is None:
            raise NotFound("Not found.")
        return rotation

    @extend_schema(
        summary="A rotation", description=EXT, responses={200: RotationSerializer, **ERRORS}
    )
    def get(self, request, rotation_id):
        return Response(_data(self.get_rotation(rotation_id)))

    @extend_schema(
        summary="Change a rotation from now on",
        description=EXT + "Applies from the instant it is made: shifts before it stay as they "
        "were; from it on shift k keeps its boundaries and goes to participant k mod n of the "
        "new list.",
        request=RotationWriteSerializer,
        responses={200: MESSAGE, **ERRORS},
    )
    def put(self, request, rotation_id):
        rotation = self.get_rotation(rotation_id)
        body = RotationWriteSerializer(data=request.data, context={"team": rotation.team})
        body.is_valid(raise_exception=True)
        services.update_rotation(rotation, body.validated_data, by=request.user)
        return ok("Rotation updated.")

    @extend_schema(
        summary="Delete a rotation",
        description=EXT + "A rotation that has put anyone on call ends now (its past shifts "
        "stay); one that has not is removed.",
        responses={200: MESSAGE, **ERRORS},
    )
    def delete(self, request, rotation_id):
        services.delete_rotation(self.get_rotation(rotation_id), by=request.user)
        return ok("Rotation deleted.")
