from django.apps import AppConfig


class RulesetsConfig(AppConfig):
    name = "rulesets"
    verbose_name = "Rulesets"

    def ready(self):
        from accounts.services import blocks_team_deletion
        from rulesets.services import rulesets_of

        blocks_team_deletion(rulesets_of)
