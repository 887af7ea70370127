from accounts.models import Organization
from statuspages.models import Component, StatusPage


def create_status_page(organization: Organization, *, name: str) -> StatusPage:
    return StatusPage.objects.create(organization=organization, name=name)


def add_component(status_page: StatusPage, *, name: str) -> Component:
    return Component.objects.create(status_page=status_page, name=name)
