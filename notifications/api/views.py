from django.core.validators import URLValidator
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from notifications.models import ChannelType, NotificationChannel
from pinghome.api import OrganizationAPIView, ok, parse_uuid
from pinghome.openapi import ERRORS, MESSAGE


class ChannelWriteSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=ChannelType.choices)
    target = serializers.CharField(max_length=2000)

    def validate(self, attrs):
        field = (
            serializers.EmailField()
            if attrs["type"] == ChannelType.EMAIL
            else serializers.URLField(validators=[URLValidator(schemes=["http", "https"])])
        )
        try:
            field.run_validation(attrs["target"])
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"target": exc.detail}) from None
        return attrs


class ChannelSerializer(serializers.ModelSerializer):
    class Meta:
        model = NotificationChannel
        fields = ["id", "type", "target", "enabled", "created_at"]
        read_only_fields = fields


class ChannelListView(OrganizationAPIView):
    @extend_schema(
        summary="Your notification channels (extension)",
        description="Without any, notifications go by e-mail to your address.",
        responses={200: ChannelSerializer(many=True), **ERRORS},
    )
    def get(self, request):
        return Response(ChannelSerializer(request.user.notification_channels.all(), many=True).data)


class ChannelCreateView(OrganizationAPIView):
    @extend_schema(
        summary="Add a notification channel (extension)",
        description="`webhook` channels receive a JSON POST signed with HMAC-SHA256 in "
        "`X-Pinghome-Signature: t=<unix>,v1=<hex of HMAC(secret, t + '.' + body)>`; the secret "
        "is shown once, here.",
        request=ChannelWriteSerializer,
        responses={
            201: inline_serializer(
                "ChannelCreated", {"id": serializers.UUIDField(), "secret": serializers.CharField()}
            ),
            **ERRORS,
        },
    )
    def post(self, request):
        body = ChannelWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        channel = NotificationChannel.objects.create(user=request.user, **body.validated_data)
        return Response({"id": str(channel.id), "secret": channel.secret}, status=201)


class ChannelView(OrganizationAPIView):
    @extend_schema(
        summary="Remove a notification channel (extension)", responses={200: MESSAGE, **ERRORS}
    )
    def delete(self, request, channel_id):
        pk = parse_uuid(channel_id)
        channel = request.user.notification_channels.filter(pk=pk).first() if pk else None
        if channel is None:
            raise NotFound("Not found.")
        channel.delete()
        return ok("Notification channel removed.")
