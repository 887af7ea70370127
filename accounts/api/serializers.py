from datetime import datetime

from rest_framework import serializers

from accounts.models import ApiToken, Team, TeamMember, TokenScope, User
from accounts.services import pending
from escalation.models import EscalationPolicy
from pinghome.fields import StrictCharField, StrictUUIDField
from schedules.recurrence import parse_time_zone


class TeamSerializer(serializers.ModelSerializer):
    escalation_policy_id = StrictUUIDField(
        read_only=True, allow_null=True, help_text="Extension: the team's default policy."
    )

    class Meta:
        model = Team
        fields = ["id", "name", "time_zone", "escalation_policy_id", "created_at"]
        read_only_fields = fields


def validate_time_zone(value: str) -> str:
    try:
        parse_time_zone(value)
    except ValueError:
        raise serializers.ValidationError(f"unknown time zone {value[:64]!r}") from None
    return value


class TeamCreateSerializer(serializers.Serializer):
    name = StrictCharField(max_length=200)
    time_zone = StrictCharField(required=False, max_length=64, help_text="IANA name; default UTC.")

    def validate_time_zone(self, value):
        return validate_time_zone(value)


class TeamSettingsSerializer(serializers.Serializer):
    """Extension: the name and on-call settings of a team (omitted fields keep their value)."""

    name = StrictCharField(required=False, max_length=200)
    time_zone = StrictCharField(required=False, max_length=64, help_text="IANA name")
    escalation_policy_id = StrictUUIDField(
        required=False,
        help_text="The default escalation policy: one of the team's, followed by its incidents "
        "that name no other.",
    )

    def validate_time_zone(self, value):
        return validate_time_zone(value)

    def validate_escalation_policy_id(self, value):
        policy = EscalationPolicy.objects.filter(team=self.context["team"], pk=value).first()
        if policy is None:
            raise serializers.ValidationError("no such escalation policy in this team")
        return policy


class TeamMemberSerializer(serializers.ModelSerializer):
    team_id = StrictUUIDField(read_only=True)
    user_id = StrictUUIDField(read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    name = StrictCharField(source="user.name", read_only=True)
    role = StrictCharField(
        read_only=True, help_text="In the team: manager (changes its configuration) or responder."
    )
    organization_role = StrictCharField(
        source="user.role", read_only=True, help_text="admin or member."
    )
    pending = serializers.SerializerMethodField(
        help_text="Invited, and has not yet set their password."
    )

    class Meta:
        model = TeamMember
        fields = [
            "id",
            "team_id",
            "user_id",
            "email",
            "name",
            "role",
            "organization_role",
            "pending",
            "created_at",
        ]
        read_only_fields = fields

    def get_pending(self, member) -> bool:
        return pending(member.user)


class MemberWriteSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=TeamMember.Role.choices, default="responder")


class MemberRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=TeamMember.Role.choices)


class UserRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=User.Role.choices)


class MembershipSerializer(serializers.ModelSerializer):
    team_member_id = StrictUUIDField(source="id", read_only=True)
    team_id = StrictUUIDField(read_only=True)
    team_name = StrictCharField(source="team.name", read_only=True)

    class Meta:
        model = TeamMember
        fields = ["team_member_id", "team_id", "team_name", "role"]
        read_only_fields = fields


class UserSerializer(serializers.ModelSerializer):
    pending = serializers.SerializerMethodField(
        help_text="Invited, and has not yet set their password."
    )
    teams = MembershipSerializer(source="memberships", many=True, read_only=True)
    locked_until = serializers.SerializerMethodField(
        help_text="Password sign-in is locked until then after too many failures (null: it is "
        "not); `DELETE /v1/user/{id}/lockout` clears it."
    )

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "name",
            "role",
            "is_active",
            "pending",
            "teams",
            "date_joined",
            "last_login",
            "locked_until",
        ]
        read_only_fields = fields

    def get_pending(self, user) -> bool:
        return pending(user)

    def get_locked_until(self, user) -> datetime | None:
        return self.context["lockouts"].get(user.pk)


class TokenWriteSerializer(serializers.Serializer):
    name = StrictCharField(max_length=100, help_text="What the token is for, e.g. 'reporting'.")
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=TokenScope.choices),
        allow_empty=False,
        min_length=1,
        max_length=len(TokenScope.choices),
        help_text="read (GET), write (everything else), admin (what your admin role allows); "
        "no more than your role and the token you act with have.",
    )
    expires_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="RFC 3339; omitted or null: never expires."
    )


class TokenSerializer(serializers.ModelSerializer):
    user_id = StrictUUIDField(read_only=True)
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
