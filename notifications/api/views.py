"""Contact methods, notification rules and deliveries of the token's user; team chat channels."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from accounts.models import Team
from notifications import contacts, services
from notifications.api.serializers import (
    ChatChannelSerializer,
    ChatChannelWriteSerializer,
    ContactMethodSerializer,
    ContactMethodUpdateSerializer,
    ContactMethodWriteSerializer,
    DeliverySerializer,
    RulesSerializer,
    VerifySerializer,
)
from notifications.models import ChatChannel, ContactMethod, ContactMethodType, Delivery
from pinghome.api import (
    Conflict,
    OrganizationAPIView,
    created,
    invalid,
    keyset_page,
    ok,
    parse_uuid,
)
from pinghome.openapi import CONFLICT, CREATED, ERRORS, KEYSET_PARAMETERS, MESSAGE

CONTACT_METHOD_CREATED = inline_serializer(
    "ContactMethodCreated",
    {
        "id": serializers.UUIDField(),
        "secret": serializers.CharField(required=False, help_text="`webhook` only; shown once."),
    },
)
SIGNATURE = (
    "`webhook` targets receive a JSON POST signed with HMAC-SHA256 in "
    "`X-Pinghome-Signature: t=<unix>,v1=<hex of HMAC(secret, t + '.' + body)>`; the secret is "
    "shown once, here."
)


def _own(queryset: QuerySet, pk):
    """An object of the caller's (``queryset`` is already theirs), else 404."""
    object_id = parse_uuid(pk)
    found = queryset.filter(pk=object_id).first() if object_id else None
    if found is None:
        raise NotFound("Not found.")
    return found


class ContactMethodListView(OrganizationAPIView):
    @extend_schema(
        summary="Your contact methods (extension)",
        description="Until one is verified and named by a rule, you are paged by e-mail.",
        responses={200: ContactMethodSerializer(many=True), **ERRORS},
    )
    def get(self, request):
        methods = ContactMethod.objects.filter(user=request.user)
        return Response(ContactMethodSerializer(methods, many=True).data)


class ContactMethodCreateView(OrganizationAPIView):
    @extend_schema(
        summary="Add a contact method (extension)",
        description="Created unverified: a 6-digit code is sent to it, to give back to "
        "`POST /v1/user/contact-method/{id}/verify`; it pages no one before. `apprise` targets "
        "are URLs of any service the Apprise library reaches; those acting on the server "
        f"itself, and private addresses, are refused. {SIGNATURE}",
        request=ContactMethodWriteSerializer,
        responses={201: CONTACT_METHOD_CREATED, **ERRORS},
    )
    def post(self, request):
        body = ContactMethodWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        method = contacts.create_contact_method(request.user, **body.validated_data)
        answer = {"id": str(method.pk)}
        if method.type == ContactMethodType.WEBHOOK:
            answer["secret"] = method.secret
        return Response(answer, status=201)


class ContactMethodView(OrganizationAPIView):
    @extend_schema(
        summary="Change a contact method (extension)",
        description="Its label, `enabled`, or its target (unverified again: a new code is sent "
        "to it). Omitted fields keep their value. Yours only.",
        request=ContactMethodUpdateSerializer,
        responses={200: MESSAGE, **ERRORS},
    )
    def put(self, request, contact_method_id):
        method = _own(ContactMethod.objects.filter(user=request.user), contact_method_id)
        body = ContactMethodUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        contacts.update_contact_method(method, by=request.user, changes=body.validated_data)
        return ok("Contact method updated.")

    @extend_schema(
        summary="Remove a contact method (extension)",
        description="Its notification rules go with it.",
        responses={200: MESSAGE, **ERRORS},
    )
    def delete(self, request, contact_method_id):
        method = _own(ContactMethod.objects.filter(user=request.user), contact_method_id)
        contacts.delete_contact_method(method, by=request.user)
        return ok("Contact method removed.")


class ContactMethodVerifyView(OrganizationAPIView):
    @extend_schema(
        summary="Verify a contact method with the code it was sent (extension)",
        description="A code works for an hour and for 5 attempts. 409 when already verified.",
        request=VerifySerializer,
        responses={200: MESSAGE, **ERRORS, **CONFLICT},
    )
    def post(self, request, contact_method_id):
        method = _own(ContactMethod.objects.filter(user=request.user), contact_method_id)
        body = VerifySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            contacts.verify(method, body.validated_data["code"])
        except contacts.AlreadyVerified:
            raise Conflict("This contact method is already verified.") from None
        except contacts.VerificationError as exc:
            raise invalid({"code": [str(exc)]}) from None
        return ok("Contact method verified.")


class ContactMethodCodeView(OrganizationAPIView):
    @extend_schema(
        summary="Send a new verification code (extension)",
        description="The previous code stops working. One a minute; 409 when already verified "
        "or too soon.",
        request=None,
        responses={200: MESSAGE, **ERRORS, **CONFLICT},
    )
    def post(self, request, contact_method_id):
        method = _own(ContactMethod.objects.filter(user=request.user), contact_method_id)
        try:
            contacts.resend_code(method)
        except contacts.AlreadyVerified:
            raise Conflict("This contact method is already verified.") from None
        except contacts.VerificationError as exc:
            raise Conflict(str(exc)) from None
        return ok("A new code is on its way.")


class NotificationRulesView(OrganizationAPIView):
    @extend_schema(
        summary="Your notification rules (extension)",
        responses={200: RulesSerializer, **ERRORS},
    )
    def get(self, request):
        return Response({"rules": contacts.rules_of(request.user)})

    @extend_schema(
        summary="Replace your notification rules (extension)",
        description="For each urgency, which contact method pages you after how many minutes "
        "(e.g. high: push at 0, SMS at 2). For an urgency without a rule on a verified method "
        "you are e-mailed at once. Rules with a delay are dropped once the incident is "
        "acknowledged or resolved.",
        request=RulesSerializer,
        responses={200: MESSAGE, **ERRORS},
    )
    def put(self, request):
        body = RulesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        contacts.set_rules(request.user, body.validated_data["rules"])
        return ok("Notification rules saved.")


class TestPageView(OrganizationAPIView):
    @extend_schema(
        summary="Send yourself a test page (extension)",
        description="To each of your verified contact methods (e-mail without any).",
        request=None,
        responses={200: MESSAGE, **ERRORS},
    )
    def post(self, request):
        services.send_test_page(request.user)
        return ok("Test page sent.")


class UserDeliveriesView(OrganizationAPIView):
    @extend_schema(
        summary="Your recent deliveries and their failures (extension)",
        parameters=KEYSET_PARAMETERS("created_at"),
        responses={200: DeliverySerializer(many=True), **ERRORS},
    )
    def get(self, request):
        page = keyset_page(request, Delivery.objects.filter(user=request.user), "created_at")
        return Response(DeliverySerializer(page, many=True).data)


class TeamDeliveriesView(OrganizationAPIView):
    @extend_schema(
        summary="Recent deliveries about a team's incidents and to its chat channels (extension)",
        parameters=KEYSET_PARAMETERS("created_at"),
        responses={200: DeliverySerializer(many=True), **ERRORS},
    )
    def get(self, request, team_id):
        team = self.get_in_organization(Team.objects, team_id)
        page = keyset_page(request, Delivery.objects.filter(team=team), "created_at")
        return Response(DeliverySerializer(page, many=True).data)


class TeamChatChannelsView(OrganizationAPIView):
    @extend_schema(
        summary="A team's chat channels (extension)",
        responses={200: ChatChannelSerializer(many=True), **ERRORS},
    )
    def get(self, request, team_id):
        team = self.get_in_organization(Team.objects, team_id)
        return Response(ChatChannelSerializer(team.chat_channels.all(), many=True).data)

    @extend_schema(
        summary="Add a chat channel to a team (extension)",
        description="An Apprise URL (Slack, Microsoft Teams, Mattermost, Discord...). It hears "
        "of the team's incidents being opened, acknowledged, escalated and resolved, with a "
        "link, and can be an escalation target. Team managers and organization admins.",
        request=ChatChannelWriteSerializer,
        responses={201: CREATED, **ERRORS},
    )
    def post(self, request, team_id):
        team = self.get_in_organization(Team.objects, team_id)
        body = ChatChannelWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        channel = contacts.create_chat_channel(team, by=request.user, **body.validated_data)
        return created(channel.pk)


class ChatChannelView(OrganizationAPIView):
    @extend_schema(
        summary="Remove a team chat channel (extension)",
        description="Team managers and organization admins.",
        responses={200: MESSAGE, **ERRORS},
    )
    def delete(self, request, chat_channel_id):
        channels = ChatChannel.objects.filter(team__organization=self.organization)
        channel = _own(channels.select_related("team"), chat_channel_id)
        contacts.delete_chat_channel(channel, by=request.user)
        return ok("Chat channel removed.")


# --- /v1/notification-channel(s): the routes before contact methods, kept as aliases ----------


class ChannelListView(ContactMethodListView):
    @extend_schema(
        summary="Your contact methods (alias of GET /v1/user/contact-methods)",
        deprecated=True,
        responses={200: ContactMethodSerializer(many=True), **ERRORS},
    )
    def get(self, request):
        return super().get(request)


class ChannelCreateView(ContactMethodCreateView):
    @extend_schema(
        summary="Add a contact method (alias of POST /v1/user/contact-method)",
        description="Created unverified, as by the new route. " + SIGNATURE,
        deprecated=True,
        request=ContactMethodWriteSerializer,
        responses={201: CONTACT_METHOD_CREATED, **ERRORS},
    )
    def post(self, request):
        return super().post(request)


class ChannelView(ContactMethodView):
    @extend_schema(
        summary="Remove a contact method (alias of DELETE /v1/user/contact-method/{id})",
        deprecated=True,
        responses={200: MESSAGE, **ERRORS},
    )
    def delete(self, request, channel_id):
        return super().delete(request, channel_id)

    @extend_schema(
        summary="Change a contact method (alias of PUT /v1/user/contact-method/{id})",
        deprecated=True,
        request=ContactMethodUpdateSerializer,
        responses={200: MESSAGE, **ERRORS},
    )
    def put(self, request, channel_id):
        return super().put(request, channel_id)
