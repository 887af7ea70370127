"""GET /v1/reports?from=&to=&team_id=: a team's report (``incidents.reports``) as JSON."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from accounts.models import Team
from incidents import reports
from incidents.models import Urgency
from pinghome.api import OrganizationAPIView
from pinghome.openapi import ERRORS


class ReportQuerySerializer(serializers.Serializer):
    team_id = serializers.UUIDField()
    # "from" is a keyword: the field is named in the 422 as the query parameter is.
    from_ = serializers.DateField(input_formats=["iso-8601"])
    to = serializers.DateField(input_formats=["iso-8601"])

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields

    def validate(self, data):
        errors = reports.period_errors(data["from"], data["to"])
        if errors:
            names = {"start": "from", "end": "to"}
            raise serializers.ValidationError({names[k]: [v] for k, v in errors.items()})
        return data


class TotalsSerializer(serializers.Serializer):
    opened = serializers.IntegerField()
    acknowledged = serializers.IntegerField()
    resolved = serializers.IntegerField()
    mtta_seconds = serializers.FloatField(allow_null=True)
    mttr_seconds = serializers.FloatField(allow_null=True)


class WeekSerializer(TotalsSerializer):
    week = serializers.DateField(help_text="Its Monday, in the team's time zone.")


class DaySerializer(serializers.Serializer):
    date = serializers.DateField()
    opened = serializers.IntegerField()
    acknowledged = serializers.IntegerField()
    resolved = serializers.IntegerField()

    def to_representation(self, instance: reports.Day) -> dict:
        """Plain values as they are (a year is 366 of them): only the date needs a format."""
        return {**instance, "date": instance["date"].isoformat()}


class ResponderSerializer(serializers.Serializer):
    user_id = serializers.UUIDField()
    email = serializers.EmailField()
    pages = serializers.IntegerField(help_text="Messages sent (one per contact method).")
    night_pages = serializers.IntegerField(
        help_text="Of those, sent from 22:00 to 07:00 in the responder's time zone."
    )
    acknowledged = serializers.IntegerField()
    mean_ack_seconds = serializers.FloatField(allow_null=True)


class NoisySerializer(serializers.Serializer):
    ruleset_id = serializers.UUIDField()
    ruleset = serializers.CharField()
    dedup_key = serializers.CharField(allow_blank=True)
    incidents = serializers.IntegerField()
    events = serializers.IntegerField()


class ReportSerializer(serializers.Serializer):
    team_id = serializers.UUIDField(source="team.id")
    time_zone = serializers.CharField(source="team.time_zone")
    start = serializers.DateField()
    end = serializers.DateField()
    totals = TotalsSerializer()
    days = DaySerializer(many=True)
    weeks = WeekSerializer(many=True)
    by_urgency = serializers.DictField(
        child=serializers.IntegerField(), help_text=f"Incidents opened: {', '.join(Urgency)}."
    )
    by_hour = serializers.ListField(
        child=serializers.IntegerField(), help_text="24 counts: incidents opened per local hour."
    )
    responders = ResponderSerializer(many=True)
    noisiest_rulesets = NoisySerializer(many=True)
    noisiest_dedup_keys = NoisySerializer(many=True)


class ReportView(OrganizationAPIView):
    @extend_schema(
        summary="A team's report over a period (extension)",
        description="Days `from` to `to` (included, at most "
        f"{reports.MAX_DAYS}) in the team's time zone: incidents per day, MTTA and MTTR per "
        "week, per responder pages, night pages and acknowledgements, the noisiest rulesets "
        "and dedup keys, incidents by urgency and by hour of day. The Reports page exports "
        "each table as CSV.",
        parameters=[
            OpenApiParameter("team_id", OpenApiTypes.UUID, required=True),
            OpenApiParameter("from", OpenApiTypes.DATE, required=True, description="YYYY-MM-DD."),
            OpenApiParameter("to", OpenApiTypes.DATE, required=True, description="YYYY-MM-DD."),
        ],
        responses={200: ReportSerializer, **ERRORS},
    )
    def get(self, request):
        query = ReportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        team = self.get_in_organization(Team.objects, query.validated_data["team_id"])
        report = reports.build(team, query.validated_data["from"], query.validated_data["to"])
        return Response(ReportSerializer(report).data)
