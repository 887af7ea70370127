"""Notification channels become contact methods (verified: each one pages as before), with
notification rules, team chat channels and deliveries."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.RenameModel("NotificationChannel", "ContactMethod"),
        migrations.AlterField(
            model_name="contactmethod",
            name="type",
            field=models.CharField(
                choices=[("email", "Email"), ("apprise", "Apprise"), ("webhook", "Webhook")],
                max_length=10,
            ),
        ),
        migrations.AlterField(
            model_name="contactmethod",
            name="target",
            field=models.CharField(
                help_text="E-mail address, Apprise URL or https URL.", max_length=2000
            ),
        ),
        migrations.AddField(
            model_name="contactmethod",
            name="label",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name="contactmethod",
            name="verified_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="contactmethod",
            name="verification_code_hash",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="contactmethod",
            name="verification_expires_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="contactmethod",
            name="verification_attempts",
            field=models.PositiveSmallIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="contactmethod",
            name="verification_error",
            field=models.CharField(
                blank=True, help_text="Why the last code could not be sent.", max_length=500
            ),
        ),
    ]
