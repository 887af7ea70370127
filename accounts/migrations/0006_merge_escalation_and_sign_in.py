# Escalation policies and sign-in each added an accounts migration after 0003/0004; they landed
# on main one after the other, leaving two leaf nodes. This joins them (no operation).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_team_settings_become_escalation_policies'),
        ('accounts', '0005_email_unique_ignoring_case'),
    ]

    operations = []
