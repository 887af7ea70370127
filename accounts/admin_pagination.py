"""Admin changelists of tables too large to COUNT: events, timeline, dedup states.

Counting every row of a table with millions of them is the slowest query of a changelist page,
and the deep pages it offers are an ``OFFSET`` in the millions. Here the count is capped: at
most ``CappedCountPaginator.cap`` rows are counted (``SELECT COUNT(*) FROM (... LIMIT cap)``),
so the changelist offers the newest ``cap`` rows; older ones are reached by a filter or a search
(by id), which the indexes serve.
"""

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Paginator
from django.utils.functional import cached_property


class CappedCountPaginator(Paginator):
    """A paginator that counts at most ``cap`` rows."""

    cap = 10_000

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by().values("pk")[: self.cap].count()


class DeferringChangeList(ChangeList):
    """Leaves the model admin's ``list_defer`` columns (large payloads) out of the list query."""

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        return queryset.defer(*self.model_admin.list_defer)


class HighVolumeAdminMixin:
    """For append-only tables that grow without bound.

    No full count (``show_full_result_count``), no facet counts, a capped paginator, large
    columns deferred in the list, and no bulk actions (the rows are read-only records). Admins
    using it declare ``list_select_related`` and an ``ordering`` an index serves, and neither
    ``date_hierarchy`` (its drill-down is a scan) nor filters on unindexed columns.
    """

    paginator = CappedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 100
    list_defer: tuple[str, ...] = ()
    actions = None

    def get_changelist(self, request, **kwargs):
        return DeferringChangeList
