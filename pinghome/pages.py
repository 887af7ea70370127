"""What every server-rendered page shares: sign-in, organization scoping, a 404 for others."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Model, QuerySet
from django.http import Http404
from django.shortcuts import render

from pinghome.api import parse_uuid


class OrganizationPageMixin(LoginRequiredMixin):
    """Signed-in users of an organization; every lookup goes through ``organization``."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.organization_id is None:
            # e.g. made by createsuperuser: say what to do rather than "Not Found".
            return render(request, "no_organization.html", status=403)
        return super().dispatch(request, *args, **kwargs)

    @property
    def organization(self):
        return self.request.user.organization

    def get_in_organization(self, queryset: QuerySet, pk, *, field: str = "organization") -> Model:
        object_id = parse_uuid(pk)
        if object_id is None:
            raise Http404
        found = queryset.filter(pk=object_id, **{field: self.organization}).first()
        if found is None:
            raise Http404
        return found

    def team_choice(self) -> dict:
        """Context for pages about one team: ``team`` (see selected_team) and every ``teams``."""
        from accounts.models import Team

        return {
            "team": self.selected_team(),
            "teams": Team.objects.filter(organization=self.organization).order_by("name"),
        }

    def selected_team(self):
        """The team named by ``?team=`` (404 if not ours), else the user's first team, else the
        organization's first; None when the organization has no team."""
        from accounts.models import Team

        team_id = self.request.GET.get("team")
        if team_id:
            return self.get_in_organization(Team.objects, team_id)
        membership = (
            self.request.user.memberships.filter(team__organization=self.organization)
            .select_related("team")
            .order_by("created_at")
            .first()
        )
        if membership is not None:
            return membership.team
        return Team.objects.filter(organization=self.organization).order_by("name").first()
