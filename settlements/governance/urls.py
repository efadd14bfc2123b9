"""URLs of settlement governance, included into the settlements namespace."""

from django.urls import path

from . import views as v

urlpatterns = [
    path("governance/gaps/", v.gap_list, name="governance_gaps"),
    path("governance/import/<slug:kind>/", v.spreadsheet_import, name="governance_import"),
    path("<int:pk>/governance/", v.governance, name="governance"),
    path("<int:pk>/governance/organisation/", v.organisation_edit, name="organisation_edit"),
    path(
        "<int:pk>/governance/committee/add/", v.committee_member_form, name="committee_member_add"
    ),
    path(
        "<int:pk>/governance/committee/<int:member_pk>/",
        v.committee_member_form,
        name="committee_member_edit",
    ),
    path(
        "<int:pk>/governance/committee/<int:member_pk>/remove/",
        v.committee_member_remove,
        name="committee_member_remove",
    ),
    path("<int:pk>/governance/team/add/", v.team_member_form, name="team_member_add"),
    path("<int:pk>/governance/team/<int:member_pk>/", v.team_member_form, name="team_member_edit"),
    path(
        "<int:pk>/governance/team/<int:member_pk>/remove/",
        v.team_member_remove,
        name="team_member_remove",
    ),
    path("<int:pk>/households/", v.household_list, name="households"),
    path("<int:pk>/households/add/", v.household_form, name="household_add"),
    path("<int:pk>/households/export/", v.households_export, name="households_export"),
    path("<int:pk>/households/<int:household_pk>/", v.household_detail, name="household"),
    path("<int:pk>/households/<int:household_pk>/edit/", v.household_form, name="household_edit"),
    path(
        "<int:pk>/households/<int:household_pk>/entries/", v.point_entry_add, name="point_entry_add"
    ),
    path("<int:pk>/entries/export/", v.entries_export, name="entries_export"),
    path(
        "<int:pk>/entries/<int:entry_pk>/reverse/",
        v.point_entry_reverse,
        name="point_entry_reverse",
    ),
    path("<int:pk>/honour/", v.honour_lists, name="honour_lists"),
    path("<int:pk>/honour/<int:list_pk>/", v.honour_list_detail, name="honour_list"),
    path("<int:pk>/honour/<int:list_pk>/export/", v.honour_list_export, name="honour_list_export"),
]
