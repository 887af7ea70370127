"""Serializer fields (and a serializer) that take JSON as it is, never coercing nor ignoring it."""

from collections.abc import Mapping

from rest_framework import serializers


class StrictCharField(serializers.CharField):
    """A JSON string only: DRF's ``CharField`` would turn ``42`` or ``4.2`` into text."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """A JSON ``true`` or ``false`` only: DRF's ``BooleanField`` also takes ``0``, ``"yes"``..."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer only: DRF's ``IntegerField`` also takes ``"15"``, ``15.0`` and ``true``."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictUUIDField(serializers.UUIDField):
    """A UUID written as a JSON string only: DRF's ``UUIDField`` turns the integer ``0`` into
    ``00000000-0000-0000-0000-000000000000``."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


class ClosedSerializer(serializers.Serializer):
    """A JSON object with no other fields than the declared ones: each other one is a 422 naming
    it (DRF's ``Serializer`` ignores them), and its schema says so (``additionalProperties:
    false``, ``pinghome.openapi.ClosedSerializerExtension``). For a request that takes one of
    several forms, so that a body of one form with another's fields is no form at all."""

    def to_internal_value(self, data):
        unknown = {}
        if isinstance(data, Mapping):
            unknown = {
                name: ["not a field of this request"] for name in data if name not in self.fields
            }
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if isinstance(error.detail, dict):
                error.detail.update(unknown)
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value
