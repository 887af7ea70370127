"""On-call extensions: who is on call, rendered shifts, overrides, calendar feeds."""

from datetime import timedelta

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Team
from pinghome.api import (
    OrganizationAPIView,
    created,
    invalid,
    ok,
    parse_count,
    parse_instant,
    parse_uuid,
)
from pinghome.fields import StrictCharField, StrictUUIDField
from pinghome.openapi import CREATED, ERRORS, MESSAGE
from schedules import calendar, oncall, services
from schedules.models import CalendarFeed, Override
from schedules.recurrence import EARLIEST, LATEST, SUPPORTED_DATES

# RFC 3339, within the supported years (neither 0001 nor 9999).
SUPPORTED_INSTANT = {"type": "string", "format": "date-time", "pattern": "^(?!0001-|9999-)"}

MAX_SHIFTS_PERIOD = timedelta(days=90)

EXT = "Extension. "


class OnCallSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    team_member_ids = serializers.ListField(child=StrictUUIDField())


class ShiftSerializer(serializers.Serializer):
    team_member_id = StrictCharField(source="member_id")
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    source = StrictCharField(
        help_text='Where the shift came from: "entry", "override" or the id of a rotation.'
    )


class GapSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class ShiftsSerializer(serializers.Serializer):
    start = serializers.DateTimeField(source="from")
    end = serializers.DateTimeField(source="to")
    shifts = ShiftSerializer(many=True)
    gaps = GapSerializer(many=True)


class OverrideWriteSerializer(serializers.Serializer):
    team_member_id = StrictUUIDField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    replaces_team_member_id = StrictUUIDField(required=False, allow_null=True)

    def validate(self, attrs):
        team = self.context["team"]
        errors = {}
        members = {
            str(pk)
            for pk in team.members.filter(
                pk__in=[attrs["team_member_id"], attrs.get("replaces_team_member_id")]
            ).values_list("pk", flat=True)
        }
        for field in ("team_member_id", "replaces_team_member_id"):
            if attrs.get(field) and str(attrs[field]) not in members:
                errors[field] = ["no such member in this team"]
        if attrs["end"] <= attrs["start"]:
            errors["end"] = ["must be after start"]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class OverrideSerializer(serializers.ModelSerializer):
    team_id = StrictUUIDField(read_only=True)
    team_member_id = StrictUUIDField(read_only=True)
    replaces_team_member_id = StrictUUIDField(read_only=True, allow_null=True)

    class Meta:
        model = Override
        fields = [
            "id",
            "team_id",
            "team_member_id",
            "replaces_team_member_id",
            "start",
            "end",
            "created_at",
        ]
        read_only_fields = fields


class FeedWriteSerializer(serializers.Serializer):
    team_member_id = StrictUUIDField(required=False, allow_null=True)


class FeedSerializer(serializers.ModelSerializer):
    team_id = StrictUUIDField(read_only=True)
    team_member_id = StrictUUIDField(read_only=True, allow_null=True)
    url = StrictCharField(source="public_url", read_only=True)

    class Meta:
        model = CalendarFeed
        fields = ["id", "team_id", "team_member_id", "url", "created_at", "revoked_at"]
        read_only_fields = fields


def _instant(request, name: str, default):
    """The instant of query parameter ``name``, one on-call is computed for, else a 422."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    value = parse_instant(raw)
    if value is None:
        raise invalid({name: ["expected an RFC 3339 date-time, e.g. 2025-01-01T00:00:00Z"]})
    if not EARLIEST <= value <= LATEST:
        raise invalid({name: [f"expected an instant {SUPPORTED_DATES}"]})
    return value


class OnCallView(OrganizationAPIView):
    @extend_schema(
        summary="Who is on call",
        description=EXT + "The final schedule at that instant: the highest layer with someone on "
        "call (rotations over schedule entries), then overrides.",
        parameters=[
            OpenApiParameter("at", SUPPORTED_INSTANT, description=f"{SUPPORTED_DATES}; default now")
        ],
        responses={200: OnCallSerializer, **ERRORS},
    )
    def get(self, request, team_id):
        team = self.get_in_organization(Team.objects, team_id)
        at = _instant(request, "at", timezone.now())
        return Response({"at": at, "team_member_ids": oncall.on_call(team, at)})


class ShiftsView(OrganizationAPIView):
    @extend_schema(
        summary="Rendered shifts and gaps",
        description=EXT + "Merged intervals per member over [from, to), at most 90 days; "
        "`gaps` are the intervals with no one on call.",
        parameters=[
            OpenApiParameter(
                "from", SUPPORTED_INSTANT, description=f"{SUPPORTED_DATES}; default now"
            ),
            OpenApiParameter(
                "to", SUPPORTED_INSTANT, description=f"{SUPPORTED_DATES}; default from + 7 days"
            ),
        ],
        responses={200: ShiftsSerializer, **ERRORS},
    )
    def get(self, request, team_id):
        team = self.get_in_organization(Team.objects, team_id)
        start = _instant(request, "from", timezone.now())
        end = _instant(request, "to", min(start + timedelta(days=7), LATEST))
        if end <= start:
            raise invalid({"to": ["must be after from"]})
        if end - start > MAX_SHIFTS_PERIOD:
            raise invalid({"to": ["at most 90 days after from"]})
        shifts, holes = oncall.shifts(team, start, end)
        return Response(
            ShiftsSerializer(
                {
                    "from": start,
                    "to": end,
                    "shifts": shifts,
                    "gaps": [{"start": s, "end": e} for s, e in holes],
                }
            ).data
        )


class TeamOverridesView(OrganizationAPIView):
    @extend_schema(
        summary="Overrides of a team",
        description=EXT + "Latest start first; `limit` 1 to 500 (default 100).",
        parameters=[OpenApiParameter("limit", {"type": "integer", "minimum": 1, "maximum": 500})],
        responses={200: OverrideSerializer(many=True), **ERRORS},
    )
    def get(self, request, team_id):
        team = self.get_in_organization(Team.objects, team_id)
        limit = parse_count(request.query_params.get("limit", "100"), maximum=500)
        if limit is None:
            raise invalid({"limit": ["expected an integer from 1 to 500"]})
        overrides = team.overrides.order_by("-start", "-created_at")[:limit]
        return Response(OverrideSerializer(overrides, many=True).data)

    @extend_schema(
        summary="Create an override",
        description=EXT + "For [start, end) the member takes over: from `replaces_team_member_id` "
        "when given (only while that member would be on call), else from everyone.",
        request=OverrideWriteSerializer,
        responses={201: CREATED, **ERRORS},
    )
    def post(self, request, team_id):
        team = self.get_in_organization(Team.objects, team_id)
        body = OverrideWriteSerializer(data=request.data, context={"team": team})
        body.is_valid(raise_exception=True)
        override = services.create_override(team, by=request.user, data=body.validated_data)
        return created(override.id)


class OverrideView(OrganizationAPIView):
    @extend_schema(
        summary="Delete an override", description=EXT, responses={200: MESSAGE, **ERRORS}
    )
    def delete(self, request, override_id):
        pk = parse_uuid(override_id)
        override = (
            Override.objects.filter(pk=pk, team__organization=self.organization)
            .select_related("team")
            .first()
            if pk
            else None
        )
        if override is None:
            raise NotFound("Not found.")
        services.delete_override(override, by=request.user)
        return ok("Override deleted.")


class TeamFeedsView(OrganizationAPIView):
    @extend_schema(
        summary="Calendar feeds of a team",
        description=EXT,
        responses={200: FeedSerializer(many=True), **ERRORS},
    )
    def get(self, request, team_id):
        team = self.get_in_organization(Team.objects, team_id)
        return Response(
            FeedSerializer(team.calendar_feeds.filter(revoked_at__isnull=True), many=True).data
        )

    @extend_schema(
        summary="Create a calendar feed",
        description=EXT + "A secret iCalendar URL that calendar apps subscribe to without a token; "
        "the team's shifts, or one member's with `team_member_id`.",
        request=FeedWriteSerializer,
        responses={
            201: inline_serializer(
                "FeedCreated", {"id": StrictUUIDField(), "url": serializers.URLField()}
            ),
            **ERRORS,
        },
    )
    def post(self, request, team_id):
        team = self.get_in_organization(Team.objects, team_id)
        body = FeedWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        member_id = body.validated_data.get("team_member_id")
        member = team.members.filter(pk=member_id).first() if member_id else None
        if member_id and member is None:
            raise invalid({"team_member_id": ["no such member in this team"]})
        feed = services.create_feed(team, by=request.user, member=member)
        return Response({"id": str(feed.id), "url": feed.public_url}, status=201)


class FeedView(OrganizationAPIView):
    @extend_schema(
        summary="Revoke a calendar feed", description=EXT, responses={200: MESSAGE, **ERRORS}
    )
    def delete(self, request, feed_id):
        pk = parse_uuid(feed_id)
        feed = (
            CalendarFeed.objects.filter(pk=pk, team__organization=self.organization)
            .select_related("team", "team_member")
            .first()
            if pk
            else None
        )
        if feed is None:
            raise NotFound("Not found.")
        services.revoke_feed(feed, by=request.user)
        return ok("Calendar feed revoked.")


class PublicFeedView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="iCalendar feed (no token: the URL is the secret)",
        description=EXT + "Shifts from 7 days ago to 60 days ahead.",
        responses={(200, "text/calendar"): str, 404: ERRORS[404]},
    )
    def get(self, request, secret):
        feed = (
            CalendarFeed.objects.select_related("team", "team_member__user")
            .filter(secret=secret, revoked_at__isnull=True)
            .first()
        )
        if feed is None:
            raise NotFound("Not found.")
        return HttpResponse(calendar.render(feed), content_type="text/calendar; charset=utf-8")
