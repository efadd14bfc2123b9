"""The cases of tests/test_edit_forms.py: every edit form of the product and what it changes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db import models
from django.urls import reverse
from django.utils.timezone import localdate as view_today  # the workflow pages act on today
from django.utils.timezone import localtime

from dashboards.models import FiveStarTarget
from ratings import services as ratings_services
from ratings.models import ItemKind, Rectification, Review, Rubric, RubricItem, SelfAssessment
from rewards.models import RewardSchedule, YearBudget
from settlements.models import (
    CalendarDay,
    CommitteeMember,
    CountySettings,
    Household,
    PointCategory,
    Settlement,
    SettlementOrganisation,
    TeamMember,
    Township,
    User,
    Village,
)
from settlements.roles import ASSESSOR, OFFICIAL
from tests import factories as f

PROJECT_APPS = {
    "settlements",
    "ratings",
    "rewards",
    "dashboards",
    "notifications",
    "public",
    "core",
}
ID_1 = "11010519491231002X"


def valid_id(prefix17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c) * w for c, w in zip(prefix17, weights, strict=True))
    return prefix17 + "10X98765432"[total % 11]


ID_2 = valid_id("51132219900101001")


@dataclass
class World:
    """What a case needs: the cast and a second of everything to move things to."""

    secretary: User
    official: User
    settlement: Settlement
    village_b: Village
    township_b: Township
    request: Any  # for the workflow's own fixtures (tests/ratings/view_fixtures.py)

    def user(self, name: str) -> User:
        return getattr(self, name, None) or self.request.getfixturevalue(name)


# The record a case edits: each case edits a different model and its lambdas read that
# model's own fields, so the list of cases has no narrower common type than "a model's row".
Record = Any


@dataclass
class Case:
    id: str
    user: str  # "secretary" or "official"
    make: Callable[[World], Record]  # the record the form edits
    url: Callable[[World, Record], str]
    # form control -> the value a person enters (a bool ticks a box, a list picks several)
    changes: Callable[[World, Record], dict[str, Any]]
    # the record read back from the database -> {what: (stored, expected)}
    stored: Callable[[Record, World], dict[str, tuple[Any, Any]]]
    # rendered controls deliberately left as they are, each with its reason
    unchanged: dict[str, str] = field(default_factory=dict)
    form_id: str | None = None  # the admin's change form; pages: the form with ``has``
    has: str = "version"
    # The workflow forms lock with their own version and refusal (ratings.services.StaleVersion,
    # tests/ratings/test_services_concurrency.py); the conflict test here covers the others.
    locking: bool = True


def admin_url(obj: models.Model) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def _admin(model: type[models.Model], **kw: Any) -> dict[str, Any]:
    return {
        "user": "secretary",
        "url": lambda w, o: admin_url(o),
        "form_id": f"{model._meta.model_name}_form",
        **kw,
    }


def _draft_rubric(w: World) -> Rubric:
    rubric = Rubric.objects.create(version=90, name="草稿细则", bonus_cap=Decimal("5"))
    RubricItem.objects.create(
        rubric=rubric,
        area=RubricItem._meta.get_field("area").choices[0][0],
        code="T01",
        text="旧条目",
        kind=RubricItem._meta.get_field("kind").choices[0][0],
        points=Decimal("1"),
        cap=Decimal("2"),
        position=1,
    )
    return rubric


def _rubric_item(w: World) -> RubricItem:
    Rubric.objects.create(version=92, name="另一草稿")  # where the item moves to
    return _draft_rubric(w).items.get()


def _item_choices() -> tuple[str, str]:
    area = RubricItem._meta.get_field("area").choices[-1][0]
    kind = RubricItem._meta.get_field("kind").choices[-1][0]
    return area, kind


ADMIN_CASES = [
    Case(
        id="admin-calendar-day",
        make=lambda w: CalendarDay.objects.create(
            date=dt.date(2033, 10, 1), kind="rest", note="国庆节"
        ),
        changes=lambda w, o: {"date": "2033-10-08", "kind": "work", "note": "国庆调休上班"},
        stored=lambda o, w: {
            "date": (o.date, dt.date(2033, 10, 8)),
            "kind": (o.kind, "work"),
            "note": (o.note, "国庆调休上班"),
        },
        **_admin(CalendarDay),
    ),
    Case(
        id="admin-county-settings",
        make=lambda w: CountySettings.objects.get_or_create(singleton=1)[0],
        changes=lambda w, o: {
            "county_name": "屏山县",
            "self_assessment_days": "12",
            "county_review_days": "40",
            "notice_working_days": "7",
            "reminder_days": "4",
            "objection_review_days": "20",
            "item_gap_needs_reason": "6.0",
            "total_gap_needs_reason": "12.0",
            "photo_max_distance_km": "3.5",
            "target_share": "0.55",
            "target_deadline": "2034-06-30",
        },
        stored=lambda o, w: {
            "county_name": (o.county_name, "屏山县"),
            "self_assessment_days": (o.self_assessment_days, 12),
            "county_review_days": (o.county_review_days, 40),
            "notice_working_days": (o.notice_working_days, 7),
            "reminder_days": (o.reminder_days, 4),
            "objection_review_days": (o.objection_review_days, 20),
            "item_gap_needs_reason": (o.item_gap_needs_reason, Decimal("6.0")),
            "total_gap_needs_reason": (o.total_gap_needs_reason, Decimal("12.0")),
            "photo_max_distance_km": (o.photo_max_distance_km, Decimal("3.5")),
            "target_share": (FiveStarTarget.objects.get(scope="county").share, Decimal("0.55")),
            "target_deadline": (
                FiveStarTarget.objects.get(scope="county").deadline,
                dt.date(2034, 6, 30),
            ),
        },
        **_admin(CountySettings),
    ),
    Case(
        id="admin-township",
        make=lambda w: f.township("旧镇", code="TOLD"),
        changes=lambda w, o: {"code": "TNEW", "name": "新镇"},
        stored=lambda o, w: {"code": (o.code, "TNEW"), "name": (o.name, "新镇")},
        **_admin(Township),
    ),
    Case(
        id="admin-village",
        make=lambda w: f.village(w.settlement.village.township, "旧村", code="VOLD"),
        changes=lambda w, o: {"township": w.township_b.pk, "code": "VNEW", "name": "新村"},
        stored=lambda o, w: {
            "township": (o.township_id, w.township_b.pk),
            "code": (o.code, "VNEW"),
            "name": (o.name, "新村"),
        },
        **_admin(Village),
    ),
    Case(
        id="admin-settlement",
        make=lambda w: w.settlement,
        changes=lambda w, o: {
            "code": "SNEW",
            "name": "新名",
            "village": w.village_b.pk,
            "households": "150",
            "residents": "500",
            "party_members": "12",
            "moved_in_on": "2020-05-01",
            "party_org": "joint",
            "self_management": "executor",
            "latitude": "30.123456",
            "longitude": "104.654321",
        },
        stored=lambda o, w: {
            "code": (o.code, "SNEW"),
            "name": (o.name, "新名"),
            "village": (o.village_id, w.village_b.pk),
            "households": (o.households, 150),
            "residents": (o.residents, 500),
            "party_members": (o.party_members, 12),
            "moved_in_on": (o.moved_in_on, dt.date(2020, 5, 1)),
            "party_org": (o.party_org, "joint"),
            "self_management": (o.self_management, "executor"),
            "latitude": (o.latitude, Decimal("30.123456")),
            "longitude": (o.longitude, Decimal("104.654321")),
        },
        **_admin(Settlement),
    ),
    Case(
        id="admin-user",
        make=lambda w: f.user(
            "someone", role=OFFICIAL, township_obj=w.settlement.village.township, email="a@x.cn"
        ),
        changes=lambda w, o: {
            "username": "someone_else",
            "display_name": "新名字",
            "email": "b@x.cn",
            "groups": [str(Group.objects.get(name=ASSESSOR).pk)],
            "township": "",
            "is_active": False,
            "is_staff": True,
            "is_superuser": True,
            "user_permissions": [str(Permission.objects.get(codename="view_settlement").pk)],
            "last_login_0": "2030-01-02",
            "last_login_1": "08:30:00",
            "date_joined_0": "2029-12-31",
            "date_joined_1": "09:00:00",
        },
        stored=lambda o, w: {
            "username": (o.username, "someone_else"),
            "display_name": (o.display_name, "新名字"),
            "email": (o.email, "b@x.cn"),
            "groups": ([g.name for g in o.groups.all()], [ASSESSOR]),
            "township": (o.township_id, None),
            "is_active": (o.is_active, False),
            "is_staff": (o.is_staff, True),
            "is_superuser": (o.is_superuser, True),
            "user_permissions": (
                [p.codename for p in o.user_permissions.all()],
                ["view_settlement"],
            ),
            "last_login": (localtime(o.last_login).strftime("%Y-%m-%d %H:%M"), "2030-01-02 08:30"),
            "date_joined": (
                localtime(o.date_joined).strftime("%Y-%m-%d %H:%M"),
                "2029-12-31 09:00",
            ),
        },
        **_admin(User),
    ),
    Case(
        id="admin-point-category",
        make=lambda w: PointCategory.objects.create(name="旧类别", description="旧", position=1),
        changes=lambda w, o: {
            "name": "新类别",
            "description": "新说明",
            "is_active": False,
            "position": "7",
        },
        stored=lambda o, w: {
            "name": (o.name, "新类别"),
            "description": (o.description, "新说明"),
            "is_active": (o.is_active, False),
            "position": (o.position, 7),
        },
        **_admin(PointCategory),
    ),
    Case(
        id="admin-reward-schedule",
        make=lambda w: RewardSchedule.objects.create(year=2030, star=3, amount=Decimal("1000")),
        changes=lambda w, o: {
            "year": "2031",
            "settlement_class": "2",
            "star": "5",
            "amount": "2500.50",
        },
        stored=lambda o, w: {
            "year": (o.year, 2031),
            "settlement_class": (o.settlement_class, 2),
            "star": (o.star, 5),
            "amount": (o.amount, Decimal("2500.50")),
        },
        **_admin(RewardSchedule),
    ),
    Case(
        id="admin-year-budget",
        make=lambda w: YearBudget.objects.create(year=2030, amount=Decimal("100000")),
        changes=lambda w, o: {"year": "2032", "amount": "123456.78"},
        stored=lambda o, w: {"year": (o.year, 2032), "amount": (o.amount, Decimal("123456.78"))},
        **_admin(YearBudget),
    ),
    Case(
        id="admin-five-star-target",
        make=lambda w: FiveStarTarget.objects.get_or_create(scope="county")[0],
        changes=lambda w, o: {"deadline": "2033-12-31", "share": "0.55"},
        stored=lambda o, w: {
            "deadline": (o.deadline, dt.date(2033, 12, 31)),
            "share": (o.share, Decimal("0.55")),
        },
        **_admin(FiveStarTarget),
    ),
    Case(
        id="admin-rubric-draft",
        make=_draft_rubric,
        changes=lambda w, o: {
            "version": "91",
            "name": "新草稿",
            "bonus_cap": "6.5",
            "items-0-position": "3",
            "items-0-area": _item_choices()[0],
            "items-0-code": "T02",
            "items-0-text": "新条目",
            "items-0-kind": _item_choices()[1],
            "items-0-points": "1.5",
            "items-0-cap": "4.5",
            "items-0-flagged": True,
        },
        stored=lambda o, w: {
            "version": (o.version, 91),
            "name": (o.name, "新草稿"),
            "bonus_cap": (o.bonus_cap, Decimal("6.5")),
            "item": (
                list(
                    o.items.values_list(
                        "position", "area", "code", "text", "kind", "points", "cap", "flagged"
                    )
                ),
                [
                    (
                        3,
                        *_item_choices()[:1],
                        "T02",
                        "新条目",
                        _item_choices()[1],
                        Decimal("1.5"),
                        Decimal("4.5"),
                        True,
                    )
                ],
            ),
        },
        unchanged={"items-0-DELETE": "ticking it deletes the item: not an edit of a field"},
        **_admin(Rubric),
    ),
    Case(
        id="admin-rubric-item",
        make=_rubric_item,
        changes=lambda w, o: {
            "rubric": str(Rubric.objects.get(version=92).pk),
            "area": _item_choices()[0],
            "code": "T03",
            "text": "改过的条目",
            "kind": _item_choices()[1],
            "points": "2",
            "cap": "6",
            "flagged": True,
            "position": "9",
        },
        stored=lambda o, w: {
            "rubric": (o.rubric.version, 92),
            "area": (o.area, _item_choices()[0]),
            "code": (o.code, "T03"),
            "text": (o.text, "改过的条目"),
            "kind": (o.kind, _item_choices()[1]),
            "points": (o.points, Decimal("2")),
            "cap": (o.cap, Decimal("6")),
            "flagged": (o.flagged, True),
            "position": (o.position, 9),
        },
        **_admin(RubricItem),
    ),
]


def _member(model: type[models.Model], **kw: Any) -> Callable[[World], Record]:
    return lambda w: model._default_manager.create(settlement=w.settlement, **kw)


PAGE_CASES = [
    Case(
        id="page-organisation",
        user="official",
        make=lambda w: SettlementOrganisation.objects.create(
            settlement=w.settlement, party_leader_name="旧书记"
        ),
        url=lambda w, o: reverse("settlements:organisation_edit", args=[w.settlement.pk]),
        changes=lambda w, o: {
            "party_org": "joint",
            "party_leader_name": "王书记",
            "party_leader_phone": "0817-1234567",
            "dispatched_member_name": "李党员",
            "dispatched_member_phone": "13900000001",
            "self_management": "executor",
            "executor_name": "赵执行",
            "executor_phone": "13900000002",
        },
        stored=lambda o, w: {
            "party_org": (o.settlement.party_org, "joint"),
            "self_management": (o.settlement.self_management, "executor"),
            "party_leader_name": (o.party_leader_name, "王书记"),
            "party_leader_phone": (o.party_leader_phone, "0817-1234567"),
            "dispatched_member_name": (o.dispatched_member_name, "李党员"),
            "dispatched_member_phone": (o.dispatched_member_phone, "13900000001"),
            "executor_name": (o.executor_name, "赵执行"),
            "executor_phone": (o.executor_phone, "13900000002"),
        },
    ),
    Case(
        id="page-committee-member",
        user="official",
        make=_member(CommitteeMember, post="member", name="旧委员", phone="13900000003"),
        url=lambda w, o: reverse("settlements:committee_member_edit", args=[w.settlement.pk, o.pk]),
        changes=lambda w, o: {"post": "director", "name": "新主任", "phone": "13900000004"},
        stored=lambda o, w: {
            "post": (o.post, "director"),
            "name": (o.name, "新主任"),
            "phone": (o.phone, "13900000004"),
        },
    ),
    Case(
        id="page-team-member",
        user="official",
        make=_member(TeamMember, role="grid", name="旧网格员", phone="13900000005"),
        url=lambda w, o: reverse("settlements:team_member_edit", args=[w.settlement.pk, o.pk]),
        changes=lambda w, o: {"role": "safety", "name": "新协管员", "phone": "13900000006"},
        stored=lambda o, w: {
            "role": (o.role, "safety"),
            "name": (o.name, "新协管员"),
            "phone": (o.phone, "13900000006"),
        },
    ),
    Case(
        id="page-household",
        user="official",
        make=_member(Household, head_name="张三", id_number=ID_1, phone="13900000007", members=3),
        url=lambda w, o: reverse("settlements:household_edit", args=[w.settlement.pk, o.pk]),
        changes=lambda w, o: {
            "head_name": "张三丰",
            "id_number": ID_2,
            "phone": "13900000008",
            "members": "5",
        },
        stored=lambda o, w: {
            "head_name": (o.head_name, "张三丰"),
            "id_number": (o.id_number, ID_2),
            "phone": (o.phone, "13900000008"),
            "members": (o.members, 5),
        },
    ),
]


def _fixture(w: World, name: str) -> Any:
    return w.request.getfixturevalue(name)


def _rubric_items(o: Any) -> list[RubricItem]:
    return (
        list(o.rubric.items.order_by("pk"))
        if hasattr(o, "rubric")
        else list(o.self_assessment.rubric.items.order_by("pk"))
    )


def _stored_then_changed(kind: str) -> tuple[int, int]:
    """(occurrences stored before, occurrences typed): every item moves, and the typed
    sheet has no deduction and no veto, so five stars may be applied for."""
    return (0, 1) if kind == ItemKind.BONUS else (1, 0)


def _self_assessment(w: World) -> SelfAssessment:
    sa = _fixture(w, "sa_a")
    items = {i.pk: (_stored_then_changed(i.kind)[0], "") for i in sa.rubric.items.all()}
    return ratings_services.self_assessment_save(
        assessment=sa,
        by=w.official,
        items=items,
        star_applied=0,
        expected_version=sa.version,
        today=view_today(),
    )


def _review(w: World) -> Review:
    sa = _fixture(w, "submitted_a")
    assessor = _fixture(w, "assessor")
    items = {i.pk: (_stored_then_changed(i.kind)[0], "", "旧说明") for i in sa.rubric.items.all()}
    return ratings_services.review_save(
        assessment=sa,
        by=assessor,
        items=items,
        visit_date=view_today(),
        team_members="旧",
        notes="旧",
        total_gap_reason="旧",
        expected_version=0,
        today=view_today(),
    )


def _issued_rectification(w: World) -> Rectification:
    return ratings_services.rectification_issue(
        rectification=_fixture(w, "rectification_a"),
        by=_fixture(w, "assessor"),
        deadline=view_today() + dt.timedelta(days=30),
        requirements="更换线路",
        today=view_today(),
    )


WORKFLOW_CASES = [
    Case(
        id="page-self-assessment",
        user="official",
        make=_self_assessment,
        url=lambda w, o: reverse("ratings:self_assessment", args=[o.pk]),
        changes=lambda w, o: {
            "star_applied": "5",
            **{f"occ_{i.pk}": str(_stored_then_changed(i.kind)[1]) for i in _rubric_items(o)},
            **{f"note_{i.pk}": f"说明{i.code}" for i in _rubric_items(o)},
        },
        stored=lambda o, w: {
            "star_applied": (o.star_applied, 5),
            "items": (
                sorted(o.items.values_list("item_id", "occurrences", "note")),
                [
                    (i.pk, _stored_then_changed(i.kind)[1], f"说明{i.code}")
                    for i in _rubric_items(o)
                ],
            ),
        },
        locking=False,
    ),
    Case(
        id="page-review",
        user="assessor",
        make=_review,
        url=lambda w, o: reverse("ratings:review", args=[o.self_assessment_id]),
        changes=lambda w, o: {
            "visit_date": (view_today() - dt.timedelta(days=0)).isoformat(),
            "team_members": "张三、李四",
            "notes": "现场查看",
            "total_gap_reason": "差异说明",
            **{
                f"county_occ_{i.pk}": str(_stored_then_changed(i.kind)[1]) for i in _rubric_items(o)
            },
            **{f"county_note_{i.pk}": f"县{i.code}" for i in _rubric_items(o)},
            **{f"gap_reason_{i.pk}": f"差{i.code}" for i in _rubric_items(o)},
        },
        stored=lambda o, w: {
            "team_members": (o.team_members, "张三、李四"),
            "notes": (o.notes, "现场查看"),
            "total_gap_reason": (o.total_gap_reason, "差异说明"),
            "items": (
                sorted(o.items.values_list("item_id", "occurrences", "note", "gap_reason")),
                [
                    (i.pk, _stored_then_changed(i.kind)[1], f"县{i.code}", f"差{i.code}")
                    for i in _rubric_items(o)
                ],
            ),
        },
        locking=False,
    ),
    Case(
        id="page-rectification-answer",
        user="official",
        make=_issued_rectification,
        url=lambda w, o: reverse("ratings:rectification", args=[o.pk]),
        changes=lambda w, o: {"answer": "已更换老化线路"},
        stored=lambda o, w: {
            "answer": (o.answer, "已更换老化线路"),
            "status": (o.status, "answered"),
        },
        has="answer",
        locking=False,
    ),
]

CASES = ADMIN_CASES + PAGE_CASES + WORKFLOW_CASES

# Registered in the admin, never changed there by anyone: the workflow's services, the
# governance pages and the statistics jobs write them.
