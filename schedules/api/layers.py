"""Layers imported from iCalendar files (Grafana OnCall, PagerDuty, Google Calendar exports)."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from accounts.models import Team
from pinghome.api import OrganizationAPIView, invalid, ok, parse_uuid
from pinghome.fields import StrictCharField, StrictIntegerField, StrictUUIDField
from pinghome.openapi import ERRORS, MESSAGE
from schedules import ics_import, rotations, services
from schedules.models import ImportedLayer

EXT = "Extension. "


class LayerImportSerializer(serializers.Serializer):
    name = StrictCharField(max_length=200)
    layer = StrictIntegerField(
        required=False, min_value=rotations.MIN_LAYER, max_value=rotations.MAX_LAYER
    )
    ics = StrictCharField(
        max_length=ics_import.MAX_BYTES, trim_whitespace=False, help_text="The iCalendar text."
    )
    since = serializers.DateTimeField(
        required=False, help_text="Import the shifts that end after this; default 31 days ago."
    )


class ImportedLayerSerializer(serializers.ModelSerializer):
    team_id = StrictUUIDField(read_only=True)

    class Meta:
        model = ImportedLayer
        fields = ["id", "team_id", "name", "layer", "created_at"]
        read_only_fields = fields


UNMATCHED = inline_serializer(
    "UnmatchedShift",
    {
        "start": serializers.DateTimeField(),
        "end": serializers.DateTimeField(),
        "summary": StrictCharField(),
        "emails": serializers.ListField(child=StrictCharField()),
    },
)


class TeamLayerImportView(OrganizationAPIView):
    @extend_schema(
        summary="Import a layer from an iCalendar file",
        description=EXT + "Events (recurrences expanded a year ahead) become fixed shifts of a "
        "new layer, matched to members by attendee e-mail, else by an e-mail or a name in the "
        "summary. The events that matched nobody are listed back.",
        request=LayerImportSerializer,
        responses={
            201: inline_serializer(
                "LayerImported",
                {
                    "id": StrictUUIDField(),
                    "shifts": StrictIntegerField(),
                    "unmatched": UNMATCHED,
                },
            ),
            **ERRORS,
        },
    )
    def post(self, request, team_id):
        team = self.get_in_organization(Team.objects, team_id)
        body = LayerImportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            result = services.import_layer(
                team,
                by=request.user,
                name=data["name"],
                layer=data.get("layer") or rotations.MIN_LAYER,
                content=data["ics"].encode(),
                since=data.get("since"),
            )
        except ics_import.ImportError_ as exc:
            raise invalid({"ics": [str(exc)]}) from None
        return Response(
            {
                "id": str(result.layer.id),
                "shifts": result.shifts,
                "unmatched": [
                    {"start": e.start, "end": e.end, "summary": e.summary, "emails": e.emails}
                    for e in result.unmatched
                ],
            },
            status=201,
        )


class TeamLayersView(OrganizationAPIView):
    @extend_schema(
        summary="Imported layers of a team",
        description=EXT,
        responses={200: ImportedLayerSerializer(many=True), **ERRORS},
    )
    def get(self, request, team_id):
        team = self.get_in_organization(Team.objects, team_id)
        return Response(ImportedLayerSerializer(team.imported_layers.all(), many=True).data)


class LayerView(OrganizationAPIView):
    @extend_schema(
        summary="Delete an imported layer", description=EXT, responses={200: MESSAGE, **ERRORS}
    )
    def delete(self, request, layer_id):
        pk = parse_uuid(layer_id)
        layer = (
            ImportedLayer.objects.filter(pk=pk, team__organization=self.organization)
            .select_related("team")
            .first()
            if pk
            else None
        )
        if layer is None:
            raise NotFound("Not found.")
        services.delete_layer(layer, by=request.user)
        return ok("Layer deleted.")
