from rest_framework import serializers

from accounts.models import Team, TeamMember


class TeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name", "time_zone", "created_at"]
        read_only_fields = fields


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
