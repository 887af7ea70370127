from django.urls import path

from rulesets import views

urlpatterns = [
    path("rulesets", views.RulesetListView.as_view(), name="ruleset-list"),
    path("rulesets/new", views.RulesetFormView.as_view(), name="ruleset-create"),
    path("rulesets/new/test", views.RulesetFormTestView.as_view(), name="ruleset-form-test"),
    path("rulesets/<str:ruleset_id>", views.RulesetFormView.as_view(), name="ruleset-edit"),
    path("rulesets/<str:ruleset_id>/test", views.RulesetTestView.as_view(), name="ruleset-test"),
    path(
        "rulesets/<str:ruleset_id>/delete",
        views.RulesetDeleteView.as_view(),
        name="ruleset-delete",
    ),
]
