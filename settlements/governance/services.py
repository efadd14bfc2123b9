"""Every write to settlement governance (SPEC §2, §8): one transaction each.

Services check the user's standing (``can_edit_governance``: the settlement's own
township officials and Party secretaries), check state, write, and leave the user on
each history row. The points ledger is insert-only; corrections are reversing entries.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.bulk import AnyOf, upsert_values
from core.locking import lock_current

from ..models import (
    CommitteeMember,
    HonourKind,
    HonourList,
    HonourListRow,
    Household,
    PartyOrg,
    PointCategory,
    PointEntry,
    SelfManagement,
    Settlement,
    SettlementGaps,
    SettlementOrganisation,
    TeamMember,
    User,
)
from . import rules
from .codes import GovernanceRefusal as Refusal
from .selectors import can_edit_governance, period_earned

HONOUR_LIST_MAX_SIZE = 50
_ORGANISATION_PEOPLE = (
    "party_leader_name",
    "party_leader_phone",
    "dispatched_member_name",
    "dispatched_member_phone",
    "executor_name",
    "executor_phone",
)


GAPS_BATCH = 2000  # settlements per query (an IN (…) list under SQLite's parameter limit)


def settlement_gaps_refresh(*, settlement_ids: Iterable[int]) -> int:
    """Recompute and store the governance gaps of these settlements (SettlementGaps).

    Called by every service that changes a gap's facts, inside its transaction, and by
    whatever else writes settlements (admin, imports, the demo builder). Idempotent;
    returns the number of rows written. Ids of settlements that no longer exist are ignored.

    The same rules over the same facts as ``selectors.gap_facts`` (tests hold the two
    equal), read leaner for 35,000 settlements at once (an import): the facts alone, no
    places or order, the ids as one array (core.bulk.AnyOf), the rules run once per
    distinct set of facts, and every row upserted in one statement.
    """
    ids = sorted(set(settlement_ids))
    now = timezone.now()
    rows: list[tuple[int, str, str, datetime.datetime]] = []
    for start in range(0, len(ids), GAPS_BATCH):
        rows += _gap_rows(ids[start : start + GAPS_BATCH], now)
    # COPY on PostgreSQL (35,000 at once from an import), bulk_create elsewhere.
    upsert_values(
        SettlementGaps,
        ["settlement_id", "codes", "missing_roles", "counted_at"],
        rows,
        unique_fields=["settlement"],
        update_fields=["codes", "missing_roles", "counted_at"],
    )
    return len(rows)


def _gap_rows(
    ids: list[int], now: datetime.datetime
) -> list[tuple[int, str, str, datetime.datetime]]:
    """(settlement id, codes, missing roles, now) of these settlements, packed for storing."""
    committee_size = (
        CommitteeMember.objects.filter(settlement=OuterRef("pk"))
        .order_by()
        .values("settlement")
        .annotate(n=Count("pk"))
        .values("n")
    )
    facts = (
        Settlement.objects.filter(AnyOf(F("pk"), ids))
        .order_by()
        .annotate(committee_count=Coalesce(Subquery(committee_size), 0))
        .values_list(
            "pk",
            "households",
            "party_members",
            "party_org",
            "self_management",
            "organisation__party_leader_name",
            "organisation__dispatched_member_name",
            "organisation__executor_name",
            "committee_count",
        )
    )
    roles: dict[int, set[str]] = defaultdict(set)
    team = TeamMember.objects.filter(AnyOf(F("settlement_id"), ids)).order_by()
    for settlement_id, role in team.values_list("settlement_id", "role").distinct():
        roles[settlement_id].add(role)
    packed: dict[tuple[Any, ...], tuple[str, str]] = {}  # facts → (codes, missing roles)
    rows = []
    for pk, households, members, party_org, self_management, leader, sent, executor, size in facts:
        present = frozenset(roles.get(pk, ()))
        key = (
            households,
            members,
            party_org,
            self_management,
            bool(leader),
            bool(sent),
            size,
            bool(executor),
            present,
        )
        found = packed.get(key)
        if found is None:
            codes = rules.governance_gaps(
                households=households,
                party_members=members,
                party_org=party_org,
                self_management=self_management,
                party_leader_named=bool(leader),
                dispatched_member_named=bool(sent),
                committee_members=size,
                executor_named=bool(executor),
                team_roles=present,
            )
            found = packed[key] = (
                rules.pack_codes(codes),
                rules.pack_codes(rules.team_role_gaps(present)),
            )
        rows.append((pk, found[0], found[1], now))
    return rows


def settlement_gaps_rebuild() -> int:
    """Recompute every settlement's stored gaps (backfill, repair, the nightly job)."""
    ids = list(Settlement.objects.order_by("pk").values_list("pk", flat=True))
    with transaction.atomic():
        return settlement_gaps_refresh(settlement_ids=ids)


def _require_editor(user: Any, settlement: Settlement) -> None:
    if not can_edit_governance(user, settlement):
        raise PermissionDenied(_("只有本乡镇干部和党组织书记可以修改该聚居点的信息。"))


def _save_with_history(instance: Any, by: User) -> None:
    instance._history_user = by
    instance.full_clean()
    instance.save()


def _delete_with_history(instance: Any, by: User) -> None:
    instance._history_user = by
    instance.delete()


@transaction.atomic
def settlement_organisation_update(
    *,
    settlement: Settlement,
    by: User,
    party_org: str,
    self_management: str,
    expected_version: int | None = None,
    expected_settlement_version: int | None = None,
    **people: str,
) -> SettlementOrganisation:
    """Set the organisation forms and the people who hold them. Unchanged input writes nothing.

    A form passes the versions it was opened at (the organisation's and the settlement's,
    whose forms it also sets): if either moved since, ``EditConflict`` and nothing saved.
    """
    _require_editor(by, settlement)
    unknown = set(people) - set(_ORGANISATION_PEOPLE)
    if unknown:
        raise TypeError(f"unknown organisation fields: {sorted(unknown)}")
    settlement = lock_current(Settlement, settlement.pk, expected_settlement_version)
    org, created = SettlementOrganisation.objects.get_or_create(settlement=settlement)
    org = lock_current(SettlementOrganisation, org.pk, expected_version)
    changed = False
    if (settlement.party_org, settlement.self_management) != (party_org, self_management):
        changed = True
        settlement.party_org = party_org
        settlement.self_management = self_management
        if party_org not in PartyOrg.values or self_management not in SelfManagement.values:
            raise ValidationError(
                _("党组织形式或自治组织形式无效。"), code=Refusal.BAD_ORGANISATION_FORM
            )
        settlement.version += 1
        settlement._history_user = by
        settlement.save(update_fields=["party_org", "self_management", "version"])
    cleaned = {name: (people.get(name) or "").strip() for name in _ORGANISATION_PEOPLE}
    if any(getattr(org, name) != value for name, value in cleaned.items()):
        changed = True
        for name, value in cleaned.items():
            setattr(org, name, value)
        org.version += 1
        _save_with_history(org, by)
    if changed or created:
        settlement_gaps_refresh(settlement_ids=[settlement.pk])
    return org


@transaction.atomic
def committee_member_add(
    *, settlement: Settlement, by: User, post: str, name: str, phone: str = ""
) -> CommitteeMember:
    _require_editor(by, settlement)
    member = CommitteeMember(
        settlement=settlement, post=post, name=name.strip(), phone=phone.strip()
    )
    _save_with_history(member, by)
    settlement_gaps_refresh(settlement_ids=[settlement.pk])
    return member


def _member_update(
    model: type[CommitteeMember] | type[TeamMember],
    member: CommitteeMember | TeamMember,
    by: User,
    kind: tuple[str, str],
    name: str,
    phone: str,
    expected_version: int | None,
) -> Any:
    """Correct a committee or team member (``kind`` is its post or role field and value).

    Compared with the stored row, not with ``member`` (a form may already have written
    its input onto it); a stale ``expected_version`` is an ``EditConflict``. A change
    refreshes the settlement's stored gaps (they count team roles)."""
    _require_editor(by, member.settlement)
    current = lock_current(model, member.pk, expected_version)
    field, value = kind
    new = (value, name.strip(), phone.strip())
    if (getattr(current, field), current.name, current.phone) != new:
        setattr(current, field, value)
        current.name, current.phone = new[1], new[2]
        current.version += 1
        _save_with_history(current, by)
        settlement_gaps_refresh(settlement_ids=[current.settlement_id])
    return current


@transaction.atomic
def committee_member_update(
    *,
    member: CommitteeMember,
    by: User,
    post: str,
    name: str,
    phone: str = "",
    expected_version: int | None = None,
) -> CommitteeMember:
    """Correct a member; a stale version is an ``EditConflict``."""
    updated: CommitteeMember = _member_update(
        CommitteeMember, member, by, ("post", post), name, phone, expected_version
    )
    return updated


@transaction.atomic
def committee_member_remove(*, member: CommitteeMember, by: User) -> None:
    _require_editor(by, member.settlement)
    _delete_with_history(member, by)
    settlement_gaps_refresh(settlement_ids=[member.settlement_id])


@transaction.atomic
def team_member_add(
    *, settlement: Settlement, by: User, role: str, name: str, phone: str = ""
) -> TeamMember:
    _require_editor(by, settlement)
    member = TeamMember(settlement=settlement, role=role, name=name.strip(), phone=phone.strip())
    _save_with_history(member, by)
    settlement_gaps_refresh(settlement_ids=[settlement.pk])
    return member


@transaction.atomic
def team_member_update(
    *,
    member: TeamMember,
    by: User,
    role: str,
    name: str,
    phone: str = "",
    expected_version: int | None = None,
) -> TeamMember:
    """Correct a member; a stale version is an ``EditConflict``."""
    updated: TeamMember = _member_update(
        TeamMember, member, by, ("role", role), name, phone, expected_version
    )
    return updated


@transaction.atomic
def team_member_remove(*, member: TeamMember, by: User) -> None:
    _require_editor(by, member.settlement)
    _delete_with_history(member, by)
    settlement_gaps_refresh(settlement_ids=[member.settlement_id])


ID_PROBLEM_MESSAGES = {
    rules.ID_PROBLEM_LENGTH: gettext_lazy("身份证号应为18位。"),
    rules.ID_PROBLEM_CHARACTERS: gettext_lazy("身份证号前17位应为数字，最后一位为数字或X。"),
    rules.ID_PROBLEM_CHECKSUM: gettext_lazy("身份证号校验位不正确，请核对。"),
}
ID_PROBLEM_CODES = {
    rules.ID_PROBLEM_LENGTH: Refusal.ID_LENGTH,
    rules.ID_PROBLEM_CHARACTERS: Refusal.ID_CHARACTERS,
    rules.ID_PROBLEM_CHECKSUM: Refusal.ID_CHECKSUM,
}


def clean_id_number(value: str) -> str:
    """Normalised ID number, or a ValidationError with a Chinese message."""
    value = rules.normalise_id_number(value)
    problem = rules.id_number_problem(value)
    if problem:
        raise ValidationError(str(ID_PROBLEM_MESSAGES[problem]), code=ID_PROBLEM_CODES[problem])
    return value


@transaction.atomic
def household_add(
    *,
    settlement: Settlement,
    by: User,
    head_name: str,
    id_number: str,
    phone: str = "",
    members: int = 1,
    base_score: Decimal | None = None,
) -> Household:
    _require_editor(by, settlement)
    id_number = clean_id_number(id_number)
    if Household.objects.filter(settlement=settlement, id_number=id_number).exists():
        raise ValidationError(
            _("该聚居点已登记此身份证号的户主。"), code=Refusal.DUPLICATE_HOUSEHOLD
        )
    household = Household(
        settlement=settlement,
        head_name=head_name.strip(),
        id_number=id_number,
        phone=phone.strip(),
        members=members,
        base_score=rules.DEFAULT_BASE_SCORE if base_score is None else base_score,
    )
    _save_with_history(household, by)
    return household


@transaction.atomic
def household_update(
    *,
    household: Household,
    by: User,
    head_name: str,
    id_number: str,
    phone: str = "",
    members: int = 1,
    expected_version: int | None = None,
) -> Household:
    """Correct a household's particulars. The base score is fixed: points change by entries.

    Compared with the stored row (a form may already have written its input onto
    ``household``); a stale ``expected_version`` is an ``EditConflict``.
    """
    _require_editor(by, household.settlement)
    household = lock_current(Household, household.pk, expected_version)
    id_number = clean_id_number(id_number)
    clash = Household.objects.filter(settlement_id=household.settlement_id, id_number=id_number)
    if clash.exclude(pk=household.pk).exists():
        raise ValidationError(
            _("该聚居点已登记此身份证号的户主。"), code=Refusal.DUPLICATE_HOUSEHOLD
        )
    new = (head_name.strip(), id_number, phone.strip(), members)
    if (household.head_name, household.id_number, household.phone, household.members) != new:
        household.head_name, household.id_number, household.phone, household.members = new
        household.version += 1
        _save_with_history(household, by)
    return household


POINTS_PROBLEM_MESSAGES = {
    rules.POINTS_PROBLEM_ZERO: gettext_lazy("分值不能为0。"),
    rules.POINTS_PROBLEM_PRECISION: gettext_lazy("分值最多保留一位小数。"),
    rules.POINTS_PROBLEM_TOO_LARGE: gettext_lazy("单条记录的分值不能超过±1000分。"),
}
POINTS_PROBLEM_CODES = {
    rules.POINTS_PROBLEM_ZERO: Refusal.POINTS_ZERO,
    rules.POINTS_PROBLEM_PRECISION: Refusal.POINTS_PRECISION,
    rules.POINTS_PROBLEM_TOO_LARGE: Refusal.POINTS_TOO_LARGE,
}


def _check_points(points: Decimal) -> Decimal:
    problem = rules.point_value_problem(points)
    if problem:
        raise ValidationError(
            str(POINTS_PROBLEM_MESSAGES[problem]), code=POINTS_PROBLEM_CODES[problem]
        )
    return points


@transaction.atomic
def point_entry_record(
    *,
    household: Household,
    category: PointCategory,
    points: Decimal,
    reason: str,
    occurred_on: datetime.date,
    by: User,
) -> PointEntry:
    """Add one plus or minus entry to a household's points."""
    _require_editor(by, household.settlement)
    if not category.is_active:
        raise ValidationError(
            _("积分类别“%(name)s”已停用。") % {"name": category.name},
            code=Refusal.CATEGORY_INACTIVE,
        )
    if occurred_on > timezone.localdate():
        raise ValidationError(_("发生日期不能晚于今天。"), code=Refusal.OCCURRED_IN_FUTURE)
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("请填写事由。"), code=Refusal.REASON_REQUIRED)
    return PointEntry.objects.create(
        household=household,
        category=category,
        points=_check_points(points),
        reason=reason,
        occurred_on=occurred_on,
        recorded_by=by,
    )


@transaction.atomic
def point_entry_reverse(*, entry: PointEntry, by: User, reason: str) -> PointEntry:
    """Cancel an entry with an opposite one, dated like it so period totals cancel too.

    An entry can be reversed once (the database holds that: ``reverses`` is one-to-one),
    and a reversal is not itself reversed: record a new entry instead.
    """
    _require_editor(by, entry.household.settlement)
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("请填写冲正原因。"), code=Refusal.REVERSAL_REASON_REQUIRED)
    # Lock the entry so two reversals of it queue up; the second sees the first.
    entry = PointEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.reverses_id is not None:
        raise ValidationError(
            _("冲正记录不能再冲正；如需更正，请新增一条记录。"), code=Refusal.REVERSAL_OF_REVERSAL
        )
    if PointEntry.objects.filter(reverses=entry).exists():
        raise ValidationError(_("该记录已经冲正过，不能重复冲正。"), code=Refusal.ALREADY_REVERSED)
    try:
        with transaction.atomic():
            return PointEntry.objects.create(
                household_id=entry.household_id,
                category_id=entry.category_id,
                points=-entry.points,
                reason=reason,
                occurred_on=entry.occurred_on,
                recorded_by=by,
                reverses=entry,
            )
    except IntegrityError as exc:
        raise ValidationError(
            _("该记录已经冲正过，不能重复冲正。"), code=Refusal.ALREADY_REVERSED
        ) from exc


@transaction.atomic
def honour_list_publish(
    *,
    settlement: Settlement,
    period_start: datetime.date,
    period_end: datetime.date,
    size: int,
    by: User,
) -> HonourList:
    """Freeze the red and black lists of a period. Publishing the same period again is a no-op."""
    _require_editor(by, settlement)
    if period_end < period_start:
        raise ValidationError(_("截止日期不能早于起始日期。"), code=Refusal.PERIOD_END_BEFORE_START)
    if period_end > timezone.localdate():
        raise ValidationError(
            _("截止日期不能晚于今天：未结束的时段不能发布。"), code=Refusal.PERIOD_NOT_ENDED
        )
    if not 1 <= size <= HONOUR_LIST_MAX_SIZE:
        raise ValidationError(
            _("每榜户数应在1到%(max)d之间。") % {"max": HONOUR_LIST_MAX_SIZE},
            code=Refusal.BAD_LIST_SIZE,
        )
    # Lock the settlement so two publications of one period cannot interleave.
    Settlement.objects.select_for_update().filter(pk=settlement.pk).exists()
    existing: HonourList | None = HonourList.objects.filter(
        settlement=settlement, period_start=period_start, period_end=period_end
    ).first()
    if existing is not None:
        if existing.size != size:
            raise ValidationError(
                _("该时段的红黑榜已经发布（每榜%(size)d户），已发布的榜单不能更改。")
                % {"size": existing.size},
                code=Refusal.LIST_ALREADY_PUBLISHED,
            )
        return existing
    ranking = rules.honour_ranking(period_earned(settlement, period_start, period_end), size)
    honour_list = HonourList.objects.create(
        settlement=settlement,
        period_start=period_start,
        period_end=period_end,
        size=size,
        published_by=by,
    )
    names = dict(
        Household.objects.filter(pk__in=[r.key for r in ranking.red + ranking.black]).values_list(
            "pk", "head_name"
        )
    )
    HonourListRow.objects.bulk_create(
        [
            HonourListRow(
                honour_list=honour_list,
                kind=kind,
                rank=row.rank,
                household_id=row.key,
                head_name=names[row.key],
                points=row.points,
            )
            for kind, rows in ((HonourKind.RED, ranking.red), (HonourKind.BLACK, ranking.black))
            for row in rows
        ]
    )
    return honour_list
