"""Reads for the governance pages (SPEC §2, §8), scoped to the user.

Settlements always come through ``settlements_visible_to`` (another township's object is
a 404). Personal data — names, phone numbers, ID numbers — is for the settlement's own
township officials and Party secretaries only: ``sees_personal_data`` is the one test.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext

from ..models import (
    GOVERNANCE_GAP_LABELS,
    CommitteeMember,
    HonourKind,
    HonourList,
    HonourListRow,
    Household,
    PointEntry,
    Settlement,
    SettlementOrganisation,
    TeamMember,
    TeamRole,
)
from ..permissions import may_manage_residents, may_see_personal_data
from ..selectors import settlements_visible_to
from . import rules

ZERO = Decimal("0")
_POINTS: DecimalField[Decimal, Decimal] = DecimalField(max_digits=9, decimal_places=1)


# Names, phones and ID numbers, and editing the governance facts: one predicate
# (settlements.permissions), under the names the governance pages know it by.
sees_personal_data = may_see_personal_data
can_edit_governance = may_see_personal_data


def settlements_editable_by(user: Any) -> QuerySet[Settlement]:
    """Settlements whose governance facts and personal data the user may see and change."""
    # The settlements the user sees, for those who may see the people at all.
    if not may_manage_residents(user):
        return Settlement.objects.none()
    return settlements_visible_to(user)


def governance_settlement(user: Any, pk: int) -> Settlement:
    """The settlement for a governance page, or 404 if the user may not see it."""
    return get_object_or_404(settlements_visible_to(user).select_related("organisation"), pk=pk)


def organisation_of(settlement: Settlement) -> SettlementOrganisation:
    """The saved organisation record, or an unsaved empty one: reads never write."""
    try:
        return settlement.organisation
    except SettlementOrganisation.DoesNotExist:
        return SettlementOrganisation(settlement=settlement)


@dataclass(frozen=True)
class LabelledGap:
    code: str
    label: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.label}{gettext('：')}{self.detail}" if self.detail else self.label


class _Labels:
    """Gap and role labels translated once per call, not once per settlement and gap:
    gettext per string costs ~0.1 ms, which at county-wide scale is most of the page."""

    def __init__(self) -> None:
        self.gaps = {code: str(label) for code, label in GOVERNANCE_GAP_LABELS.items()}
        self.roles = {role: str(TeamRole(role).label) for role in rules.TEAM_ROLES}
        self._details: dict[frozenset[str], str] = {}
        self.list_sep = gettext("、")

    def roles_text(self, missing: list[str]) -> str:
        return "、".join(self.roles[r] for r in missing)

    def missing_roles(self, roles: set[str]) -> str:
        key = frozenset(roles)
        if key not in self._details:
            self._details[key] = self.list_sep.join(
                self.roles[r] for r in rules.team_role_gaps(roles)
            )
        return self._details[key]


def _gaps(
    *,
    labels: _Labels,
    households: int,
    party_members: int,
    party_org: str,
    self_management: str,
    party_leader: str,
    dispatched: str,
    executor: str,
    committee_members: int,
    roles: set[str],
) -> list[LabelledGap]:
    codes = rules.governance_gaps(
        households=households,
        party_members=party_members,
        party_org=party_org,
        self_management=self_management,
        party_leader_named=bool(party_leader),
        dispatched_member_named=bool(dispatched),
        committee_members=committee_members,
        executor_named=bool(executor),
        team_roles=roles,
    )
    return [
        LabelledGap(
            code=code,
            label=labels.gaps[code],
            detail=labels.missing_roles(roles) if code == rules.GAP_TEAM_MISSING else "",
        )
        for code in codes
    ]


def organisation_gaps_for(settlement: Settlement) -> list[LabelledGap]:
    """Labelled gaps of one settlement (SPEC §2), for its pages and the assessor's review.

    Each gap has a stable ``code``, a Chinese ``label`` and, for the team, a ``detail``
    naming the missing roles; ``str(gap)`` gives "label：detail". No personal data.
    Costs up to three small queries (organisation, committee count, team roles).
    """
    org = organisation_of(settlement)
    committee = CommitteeMember.objects.filter(settlement=settlement).count()
    roles = set(
        TeamMember.objects.filter(settlement=settlement).order_by().values_list("role", flat=True)
    )
    return _gaps(
        labels=_Labels(),
        households=settlement.households,
        party_members=settlement.party_members,
        party_org=settlement.party_org,
        self_management=settlement.self_management,
        party_leader=org.party_leader_name,
        dispatched=org.dispatched_member_name,
        executor=org.executor_name,
        committee_members=committee,
        roles=roles,
    )


@dataclass
class GapRow:
    pk: int
    code: str
    name: str
    township: str
    village: str
    gaps: list[LabelledGap]


@dataclass
class GapReport:
    page: Page[Any]
    with_gaps: int  # settlements with at least one gap
    settlements_checked: int
    counts: list[tuple[str, int]] = field(default_factory=list)

    @property
    def rows(self) -> list[GapRow]:
        return list(self.page.object_list)


GAPS_PER_PAGE = 100
_FACT_FIELDS = (
    "pk",
    "code",
    "name",
    "households",
    "party_members",
    "party_org",
    "self_management",
    "village__name",
    "village__township__name",
    "village__township__code",
    "organisation__party_leader_name",
    "organisation__dispatched_member_name",
    "organisation__executor_name",
    "committee_count",
)


@dataclass(frozen=True)
class GapFacts:
    """One settlement's place and its gaps as codes, computed by rules.governance_gaps."""

    pk: int
    code: str
    name: str
    township: str
    township_code: str
    village: str
    codes: list[str]
    missing_roles: list[str]


def gap_facts(settlements: QuerySet[Settlement]) -> list[GapFacts]:
    """Run the gap rules over ``settlements``: two queries whatever their number.

    The settlements with places, organisation people and committee size in one, the team
    roles in another. What the stored gaps are computed with, and what the gap list uses
    for a settlement whose stored row is missing.
    """
    committee_size = (
        CommitteeMember.objects.filter(settlement=OuterRef("pk"))
        .order_by()
        .values("settlement")
        .annotate(n=Count("pk"))
        .values("n")
    )
    facts = list(
        settlements.order_by("village__township__code", "code")
        .annotate(committee_count=Coalesce(Subquery(committee_size), 0))
        .values(*_FACT_FIELDS)
    )
    roles: dict[int, set[str]] = defaultdict(set)
    team = TeamMember.objects.filter(settlement__in=settlements.values("pk")).order_by()
    for settlement_id, role in team.values_list("settlement_id", "role").distinct():
        roles[settlement_id].add(role)
    out = []
    for s in facts:
        present = roles[s["pk"]]
        codes = rules.governance_gaps(
            households=s["households"],
            party_members=s["party_members"],
            party_org=s["party_org"],
            self_management=s["self_management"],
            party_leader_named=bool(s["organisation__party_leader_name"]),
            dispatched_member_named=bool(s["organisation__dispatched_member_name"]),
            committee_members=s["committee_count"],
            executor_named=bool(s["organisation__executor_name"]),
            team_roles=present,
        )
        out.append(
            GapFacts(
                pk=s["pk"],
                code=s["code"],
                name=s["name"],
                township=s["village__township__name"],
                township_code=s["village__township__code"],
                village=s["village__name"],
                codes=codes,
                missing_roles=rules.team_role_gaps(present),
            )
        )
    return out


def _labelled(labels: _Labels, codes: list[str], missing_roles: list[str]) -> list[LabelledGap]:
    return [
        LabelledGap(
            code=code,
            label=labels.gaps[code],
            detail=labels.roles_text(missing_roles) if code == rules.GAP_TEAM_MISSING else "",
        )
        for code in codes
    ]


class _CountedRows(Sequence[Any]):
    """The stored rows with gaps for a Paginator: its count is the one already aggregated,
    and a page is one query of the page's rows."""

    def __init__(self, queryset: QuerySet[Any], count: int, labels: _Labels) -> None:
        self.queryset, self.total, self.labels = queryset, count, labels

    def __len__(self) -> int:
        return self.total

    def count(self, value: Any = None) -> int:  # Paginator calls count() with no argument
        return self.total

    def __getitem__(self, index: Any) -> Any:
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        return [
            GapRow(
                pk=pk,
                code=code,
                name=name,
                township=township,
                village=village,
                gaps=_labelled(self.labels, rules.unpack_codes(codes), rules.unpack_codes(roles)),
            )
            for pk, code, name, township, village, codes, roles in self.queryset[index].values_list(
                "pk",
                "code",
                "name",
                "village__township__name",
                "village__name",
                "stored_gaps__codes",
                "stored_gaps__missing_roles",
            )
        ]


def governance_gap_report(
    user: Any, *, township_id: int | None = None, page: Any = 1, size: int = GAPS_PER_PAGE
) -> GapReport:
    """A page of the visible settlements that fall short of SPEC §2, with their labelled gaps.

    Reads the stored gaps (SettlementGaps): settlements per stored combination of gaps
    (giving those checked, with gaps, per gap and not yet stored) and the page's rows. A settlement whose stored row is missing
    is checked on the fly (gap_facts: two more queries) and merged in; nothing is written.
    """
    settlements = settlements_visible_to(user)
    if township_id is not None:
        settlements = settlements.filter(village__township_id=township_id)
    labels = _Labels()
    has_gaps = Q(stored_gaps__codes__startswith=",")  # packed codes; "" without gaps
    # Settlements per stored combination of gaps (a few dozen combinations, whatever N):
    # the counts per gap are summed from them here, not matched row by row in SQL.
    totals = {"checked": 0, "with_gaps": 0, "unstored": 0}
    counts = dict.fromkeys(rules.GAP_ORDER, 0)
    for packed, n in (
        settlements.values("stored_gaps__codes")
        .annotate(n=Count("pk"))
        .values_list("stored_gaps__codes", "n")
        .order_by()
    ):
        totals["checked"] += n
        if packed is None:
            totals["unstored"] += n
            continue
        codes = rules.unpack_codes(packed)
        if codes:
            totals["with_gaps"] += n
        for code in codes:
            counts[code] = counts.get(code, 0) + n
    stored = settlements.filter(has_gaps).order_by("village__township__code", "code")
    if not totals["unstored"]:
        rows: Sequence[GapRow] = _CountedRows(stored, totals["with_gaps"], labels)
        with_gaps = totals["with_gaps"]
    else:
        rows, with_gaps = _merged_rows(stored, settlements, labels, counts)
    ordered_counts = [
        (labels.gaps[code], counts[code]) for code in rules.GAP_ORDER if counts.get(code)
    ]
    return GapReport(
        page=Paginator(rows, size).get_page(page),
        with_gaps=with_gaps,
        settlements_checked=totals["checked"],
        counts=ordered_counts,
    )


def _merged_rows(
    stored: QuerySet[Settlement],
    settlements: QuerySet[Settlement],
    labels: _Labels,
    counts: dict[str, int],
) -> tuple[list[GapRow], int]:
    """Stored rows plus the settlements not stored yet, checked now, in list order."""
    keyed = [
        (
            (township_code, code),
            GapRow(
                pk=pk,
                code=code,
                name=name,
                township=township,
                village=village,
                gaps=_labelled(labels, rules.unpack_codes(codes), rules.unpack_codes(roles)),
            ),
        )
        for pk, code, name, township, township_code, village, codes, roles in stored.values_list(
            "pk",
            "code",
            "name",
            "village__township__name",
            "village__township__code",
            "village__name",
            "stored_gaps__codes",
            "stored_gaps__missing_roles",
        )
    ]
    for f in gap_facts(settlements.filter(stored_gaps__isnull=True)):
        if not f.codes:
            continue
        for code in f.codes:
            counts[code] += 1
        keyed.append(
            (
                (f.township_code, f.code),
                GapRow(
                    pk=f.pk,
                    code=f.code,
                    name=f.name,
                    township=f.township,
                    village=f.village,
                    gaps=_labelled(labels, f.codes, f.missing_roles),
                ),
            )
        )
    keyed.sort(key=lambda pair: pair[0])
    return [row for _key, row in keyed], len(keyed)


@dataclass
class TeamSlot:
    role: str
    label: str
    members: list[TeamMember]


def team_by_role(settlement: Settlement) -> list[TeamSlot]:
    """The six roles in canonical order, each with its holders (possibly none)."""
    by_role: dict[str, list[TeamMember]] = defaultdict(list)
    for member in TeamMember.objects.filter(settlement=settlement).order_by("pk"):
        by_role[member.role].append(member)
    return [
        TeamSlot(role=r, label=str(TeamRole(r).label), members=by_role[r]) for r in rules.TEAM_ROLES
    ]


def committee_of(settlement: Settlement) -> list[CommitteeMember]:
    return list(CommitteeMember.objects.filter(settlement=settlement).order_by("post", "pk"))


@dataclass(frozen=True)
class PointsSummary:
    households: int
    entries: int
    honour_lists: int


def points_summary(settlement: Settlement) -> PointsSummary:
    """Counts only: what an assessor may see of the points ledger."""
    return PointsSummary(
        households=Household.objects.filter(settlement=settlement).count(),
        entries=PointEntry.objects.filter(household__settlement=settlement).count(),
        honour_lists=HonourList.objects.filter(settlement=settlement).count(),
    )


def households_with_balance(settlement: Settlement, *, q: str = "") -> QuerySet[Household]:
    """The settlement's households, each annotated with ``balance`` = base + Σ entries."""
    entry_total = (
        PointEntry.objects.filter(household=OuterRef("pk"))
        .order_by()
        .values("household")
        .annotate(total=Sum("points"))
        .values("total")
    )
    qs = Household.objects.filter(settlement=settlement).annotate(
        entry_total=Coalesce(
            Subquery(entry_total, output_field=_POINTS), Value(ZERO), output_field=_POINTS
        ),
        balance=F("base_score") + F("entry_total"),
    )
    if q:
        qs = qs.filter(Q(head_name__icontains=q) | Q(id_number__endswith=q) | Q(phone__contains=q))
    return qs.order_by("pk")


def household_of(settlement: Settlement, pk: int) -> Household:
    return get_object_or_404(households_with_balance(settlement), pk=pk)


def household_entries(household: Household) -> QuerySet[PointEntry]:
    return (
        PointEntry.objects.filter(household=household)
        .select_related("category", "recorded_by", "reversed_by", "reverses")
        .order_by("-occurred_on", "-pk")
    )


def entry_of(settlement: Settlement, pk: int) -> PointEntry:
    entry: PointEntry = get_object_or_404(
        PointEntry.objects.select_related("household", "category"),
        pk=pk,
        household__settlement=settlement,
    )
    return entry


def period_earned(
    settlement: Settlement, period_start: datetime.date, period_end: datetime.date
) -> list[tuple[int, Decimal]]:
    """(household id, net points of entries dated in the period) for every household with any."""
    rows = (
        PointEntry.objects.filter(
            household__settlement=settlement,
            occurred_on__gte=period_start,
            occurred_on__lte=period_end,
        )
        .order_by()
        .values("household_id")
        .annotate(earned=Sum("points"))
        .values_list("household_id", "earned")
    )
    return [(hid, earned) for hid, earned in rows]


def honour_lists_of(settlement: Settlement) -> QuerySet[HonourList]:
    lists: QuerySet[HonourList] = (
        HonourList.objects.filter(settlement=settlement)
        .select_related("published_by")
        .annotate(
            red_count=Count("rows", filter=Q(rows__kind=HonourKind.RED)),
            black_count=Count("rows", filter=Q(rows__kind=HonourKind.BLACK)),
        )
        .order_by("-period_end", "-pk")
    )
    return lists


def honour_list_of(settlement: Settlement, pk: int) -> HonourList:
    honour_list: HonourList = get_object_or_404(
        HonourList.objects.select_related("published_by"), pk=pk, settlement=settlement
    )
    return honour_list


def honour_rows(honour_list: HonourList) -> tuple[list[HonourListRow], list[HonourListRow]]:
    """(red rows, black rows) of a published list, with the households' masked IDs at hand."""
    rows = list(honour_list.rows.select_related("household").order_by("kind", "rank", "pk"))
    return (
        [r for r in rows if r.kind == HonourKind.RED],
        [r for r in rows if r.kind == HonourKind.BLACK],
    )
