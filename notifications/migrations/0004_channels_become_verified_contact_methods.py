"""Every notification channel configured before contact methods keeps paging: it is verified,
and its user gets a rule for it at every urgency, at once (as channels were used)."""

from django.db import migrations

URGENCIES = ["low", "medium", "high", "critical"]


def forwards(apps, schema_editor):
    ContactMethod = apps.get_model("notifications", "ContactMethod")
    NotificationRule = apps.get_model("notifications", "NotificationRule")
    rules = []
    for method in ContactMethod.objects.filter(verified_at__isnull=True).iterator():
        method.verified_at = method.created_at
        method.save(update_fields=["verified_at"])
        if method.enabled:
            rules += [
                NotificationRule(
                    user_id=method.user_id,
                    urgency=urgency,
                    contact_method_id=method.pk,
                    delay_minutes=0,
                )
                for urgency in URGENCIES
            ]
    NotificationRule.objects.bulk_create(rules, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0003_rules_chat_channels_deliveries"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
