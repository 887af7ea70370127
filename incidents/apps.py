from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents"

    def ready(self):
        from accounts.services import blocks_team_deletion
        from incidents.services import open_incidents_of

        blocks_team_deletion(open_incidents_of)
