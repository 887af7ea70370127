from rest_framework import serializers

from incidents.models import Urgency
from notifications.contacts import MAX_DELAY_MINUTES
from notifications.models import ChatChannel, ContactMethod, ContactMethodType, Delivery
from pinghome.fields import StrictBooleanField, StrictCharField, StrictIntegerField, StrictUUIDField


class ContactMethodWriteSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=ContactMethodType.choices)
    target = StrictCharField(
        max_length=2000,
        help_text="An e-mail address (`email`), an Apprise URL such as `ntfy://ntfy.sh/topic`, "
        "`slack://...`, `tgram://...` (`apprise`), or an http(s) URL (`webhook`).",
    )
    label = StrictCharField(max_length=100, required=False, allow_blank=True, default="")


class ContactMethodUpdateSerializer(serializers.Serializer):
    """Omitted fields keep their value; the type does not change (remove it, add another)."""

    target = StrictCharField(
        max_length=2000, required=False, help_text="A new target is unverified again."
    )
    label = StrictCharField(max_length=100, required=False, allow_blank=True)
    enabled = StrictBooleanField(required=False, help_text="A disabled method pages nobody.")


class ContactMethodSerializer(serializers.ModelSerializer):
    target = StrictCharField(
        source="shown_target", help_text="The secrets of an Apprise URL are masked."
    )
    verified = serializers.BooleanField(source="is_verified")

    class Meta:
        model = ContactMethod
        fields = [
            "id",
            "type",
            "target",
            "label",
            "verified",
            "verified_at",
            "verification_error",
            "enabled",
            "created_at",
        ]
        read_only_fields = fields


class VerifySerializer(serializers.Serializer):
    code = StrictCharField(max_length=6, min_length=6, help_text="The 6 digits sent.")


class RuleSerializer(serializers.Serializer):
    urgency = serializers.ChoiceField(choices=Urgency.choices)
    contact_method_id = StrictUUIDField()
    delay_minutes = StrictIntegerField(min_value=0, max_value=MAX_DELAY_MINUTES)


class RulesSerializer(serializers.Serializer):
    rules = RuleSerializer(many=True)


class ChatChannelWriteSerializer(serializers.Serializer):
    target = StrictCharField(
        max_length=2000, help_text="An Apprise URL: `slack://...`, `msteams://...`, `mmost://...`."
    )
    label = StrictCharField(max_length=100, required=False, allow_blank=True, default="")


class ChatChannelSerializer(serializers.ModelSerializer):
    target = StrictCharField(source="shown_target")
    team_id = StrictUUIDField()

    class Meta:
        model = ChatChannel
        fields = ["id", "team_id", "target", "label", "created_at"]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = Delivery
        fields = [
            "id",
            "incident_id",
            "user_id",
            "contact_method_id",
            "chat_channel_id",
            "method",
            "target",
            "reason",
            "step_label",
            "delay_minutes",
            "state",
            "attempts",
            "error",
            "created_at",
            "due_at",
            "sent_at",
        ]
        read_only_fields = fields
