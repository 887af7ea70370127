from rest_framework import serializers

from accounts.models import ApiToken, Team, TeamMember, TokenScope
from escalation.models import EscalationPolicy
from pinghome.fields import StrictCharField
from schedules.recurrence import parse_time_zone


class TeamSerializer(serializers.ModelSerializer):
    escalation_policy_id = serializers.UUIDField(
        read_only=True, allow_null=True, help_text="Extension: the team's default policy."
    )

    class Meta:
        model = Team
        fields = ["id", "name", "time_zone", "escalation_policy_id", "created_at"]
        read_only_fields = fields


class TeamSettingsSerializer(serializers.Serializer):
    """Extension: the on-call settings of a team (omitted fields keep their value)."""

    time_zone = StrictCharField(required=False, max_length=64, help_text="IANA name")
    escalation_policy_id = serializers.UUIDField(
        required=False,
        help_text="The default escalation policy: one of the team's, followed by its incidents "
        "that name no other.",
    )

    def validate_time_zone(self, value):
        try:
            parse_time_zone(value)
        except ValueError:
            raise serializers.ValidationError(f"unknown time zone {value[:64]!r}") from None
        return value

    def validate_escalation_policy_id(self, value):
        policy = EscalationPolicy.objects.filter(team=self.context["team"], pk=value).first()
        if policy is None:
            raise serializers.ValidationError("no such escalation policy in this team")
        return policy


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
