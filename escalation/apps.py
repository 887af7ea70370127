from django.apps import AppConfig


class EscalationConfig(AppConfig):
    name = "escalation"
    verbose_name = "Escalation policies"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from accounts.models import Team
        from accounts.services import blocks_team_deletion
        from escalation import services

        # Whatever creates a team (bootstrap, the admin, an API), it pages its on-call at once.
        post_save.connect(services.on_team_saved, sender=Team, weak=False)
        # A team other teams' policies page cannot be deleted (accounts.services.delete_team).
        blocks_team_deletion(services.policies_paging)
