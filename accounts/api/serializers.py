from rest_framework import serializers

from accounts.models import ApiToken, Team, TeamMember, TokenScope
from pinghome.fields import StrictCharField
from schedules.recurrence import parse_time_zone


class TeamSerializer(serializers.ModelSerializer):
    fallback_team_id = serializers.UUIDField(read_only=True, allow_null=True)

    class Meta:
        model = Team
        fields = [
            "id",
            "name",
            "time_zone",
            "renotify_after_minutes",
            "fallback_team_id",
            "created_at",
        ]
        read_only_fields = fields


class TeamSettingsSerializer(serializers.Serializer):
    """Extension: the on-call settings of a team (omitted fields keep their value)."""

    time_zone = StrictCharField(required=False, max_length=64, help_text="IANA name")
    renotify_after_minutes = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=10080,
        help_text="Re-notify on call while an incident stays triggered; null: never.",
    )
    fallback_team_id = serializers.UUIDField(
        required=False, allow_null=True, help_text="Also notified when an incident escalates."
    )

    def validate_time_zone(self, value):
        try:
            parse_time_zone(value)
        except ValueError:
            raise serializers.ValidationError(f"unknown time zone {value[:64]!r}") from None
        return value

    def validate_fallback_team_id(self, value):
        if value is None:
            return None
        team = self.context["team"]
        fallback = Team.objects.filter(organization_id=team.organization_id, pk=value).first()
        if fallback is None:
            raise serializers.ValidationError("no such team in your organization")
        if fallback.pk == team.pk:
            raise serializers.ValidationError("a team cannot be its own fallback")
        return fallback


class TeamMemberSerializer(serializers.ModelSerializer):
    team_id = serializers.UUIDField(read_only=True)
    user_id = serializers.UUIDField(read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    name = serializers.CharField(source="user.name", read_only=True)
    role = serializers.CharField(source="user.role", read_only=True)

    class Meta:
        model = TeamMember
        fields = ["id", "team_id", "user_id", "email", "name", "role", "created_at"]
        read_only_fields = fields


class TokenWriteSerializer(serializers.Serializer):
    name = StrictCharField(max_length=100, help_text="What the token is for, e.g. 'reporting'.")
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=TokenScope.choices),
        allow_empty=False,
        max_length=len(TokenScope.choices),
        help_text="read (GET), write (everything else), admin (what your admin role allows); "
        "no more than your role and the token you act with have.",
    )
    expires_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="RFC 3339; omitted or null: never expires."
    )


class TokenSerializer(serializers.ModelSerializer):
    user_id = serializers.UUIDField(read_only=True)
    user_email = serializers.EmailField(source="user.email", read_only=True)

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "scopes",
            "user_id",
            "user_email",
            "created_at",
            "expires_at",
            "last_used_at",
            "revoked_at",
        ]
        read_only_fields = fields
