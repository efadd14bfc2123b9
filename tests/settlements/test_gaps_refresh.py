"""The stored gaps (settlement_gaps_refresh, what an import of 35,000 rows runs) are those
the gap rules give over the same facts (selectors.gap_facts), whatever the facts."""

from __future__ import annotations

import itertools

import pytest

from settlements import rules
from settlements.governance import rules as governance_rules
from settlements.governance.selectors import gap_facts
from settlements.governance.services import settlement_gaps_refresh
from settlements.models import (
    CommitteeMember,
    Settlement,
    SettlementGaps,
    SettlementOrganisation,
    TeamMember,
)
from tests import factories as f

pytestmark = pytest.mark.django_db

PARTY = [rules.PARTY_NONE, rules.PARTY_BRANCH, rules.PARTY_JOINT, rules.PARTY_STATION]
SELF = [rules.SELF_NONE, rules.SELF_COMMITTEE, rules.SELF_EXECUTOR]


def _county(village) -> list[Settlement]:
    settlements = []
    cases = itertools.product(PARTY, SELF, [(8, 1), (60, 4)], [False, True])
    for i, (party, self_management, (households, members), people) in enumerate(cases):
        s = f.settlement(
            village,
            code=f"G{i:03}",
            households=households,
            party_members=members,
            party_org=party,
            self_management=self_management,
        )
        if people:  # every person named, a committee, part of the team or all of it
            SettlementOrganisation.objects.create(
                settlement=s,
                party_leader_name="王书记",
                dispatched_member_name="李队员",
                executor_name="赵执行",
            )
            CommitteeMember.objects.create(settlement=s, post="director", name="张主任")
            roles = governance_rules.TEAM_ROLES[: 3 + i % 4]
            for role in roles:
                TeamMember.objects.create(settlement=s, role=role, name=f"{role}员")
            TeamMember.objects.create(settlement=s, role=roles[0], name="又一位")
        elif i % 3 == 0:  # an organisation row with nobody named yet
            SettlementOrganisation.objects.create(settlement=s)
        settlements.append(s)
    return settlements


def test_stored_gaps_are_the_rules_over_the_same_facts(village_a):
    settlements = _county(village_a)

    written = settlement_gaps_refresh(settlement_ids=[s.pk for s in settlements] + [10**9])

    assert written == len(settlements)  # an id that no longer exists is ignored
    expected = {
        g.pk: (governance_rules.pack_codes(g.codes), governance_rules.pack_codes(g.missing_roles))
        for g in gap_facts(Settlement.objects.filter(pk__in=[s.pk for s in settlements]))
    }
    stored = {
        s.settlement_id: (s.codes, s.missing_roles)
        for s in SettlementGaps.objects.filter(settlement__in=settlements)
    }
    assert stored == expected
    assert len({codes for codes, _roles in stored.values()}) > 10  # many different answers


def test_refresh_in_batches_rewrites_every_row(village_a, monkeypatch):
    from settlements.governance import services

    settlements = _county(village_a)[:9]
    settlement_gaps_refresh(settlement_ids=[s.pk for s in settlements])
    SettlementGaps.objects.update(codes=",stale,")
    monkeypatch.setattr(services, "GAPS_BATCH", 4)

    assert settlement_gaps_refresh(settlement_ids=[s.pk for s in settlements]) == 9
    assert not SettlementGaps.objects.filter(codes=",stale,").exists()
