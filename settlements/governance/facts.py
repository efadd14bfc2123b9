"""The organisation facts a scorer needs beside the rubric's organisation items (SPEC §2).

The self-assessment and county review pages show, next to the 组织建设 items, what the
settlement has and what the rules call for: its Party organisation against its Party
members, its self-management body against its households, and the gaps the system sees
(the 5员1长 team among them). Read from the stored gaps (SettlementGaps): one query
whatever the number of rubric items; a settlement without a stored row is checked on the
fly (up to three small queries), never written on a read. No personal data.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext

from ..models import (
    PartyOrg,
    SelfManagement,
    Settlement,
    SettlementGaps,
)
from ..rules import (
    FORM_BRANCH,
    FORM_STATION,
    party_organisation_form,
    self_management_form,
)
from . import rules
from .selectors import LabelledGap, _labelled, _Labels, organisation_gaps_for


@dataclass(frozen=True)
class OrganisationFacts:
    """One settlement's organisation as the scoring pages show it."""

    settlement_id: int
    households: int
    party_members: int
    party_org: str  # the label of what it has
    party_org_wanted: str  # the label of what the rules call for
    self_management: str
    self_management_wanted: str
    gaps: list[LabelledGap]
    counted_at: datetime.datetime | None  # when the stored gaps were computed; None: just now

    @property
    def has_gaps(self) -> bool:
        return bool(self.gaps)


def _wanted_party_label(party_members: int) -> str:
    """What settlements.rules calls for: a branch, a station, or a joint organisation or group."""
    wanted = party_organisation_form(party_members)
    if wanted == FORM_BRANCH:
        return str(PartyOrg.BRANCH.label)
    if wanted == FORM_STATION:
        return str(PartyOrg.STATION.label)
    return gettext("%(joint)s或%(group)s") % {
        "joint": PartyOrg.JOINT.label,
        "group": PartyOrg.GROUP.label,
    }


def organisation_facts(settlement: Settlement) -> OrganisationFacts:
    """The settlement's organisation forms, what the rules want and its stored gaps.

    One query (the stored gaps row); the settlement's own fields are already loaded.
    """
    stored = SettlementGaps.objects.filter(settlement_id=settlement.pk).first()
    if stored is not None:
        gaps = _labelled(
            _Labels(), rules.unpack_codes(stored.codes), rules.unpack_codes(stored.missing_roles)
        )
        counted_at: datetime.datetime | None = stored.counted_at
    else:
        gaps = organisation_gaps_for(settlement)
        counted_at = None
    return OrganisationFacts(
        settlement_id=settlement.pk,
        households=settlement.households,
        party_members=settlement.party_members,
        party_org=str(PartyOrg(settlement.party_org).label),
        party_org_wanted=_wanted_party_label(settlement.party_members),
        self_management=str(SelfManagement(settlement.self_management).label),
        self_management_wanted=str(
            SelfManagement(self_management_form(settlement.households)).label
        ),
        gaps=gaps,
        counted_at=counted_at,
    )
