"""The demo county: a Pingshan-like county of townships, villages and settlements, and
the three demo users.

The plan is deterministic: every row's content comes from a random generator seeded by
the row's own code, so the same code always gets the same facts, whatever N is and
however often the command runs. Writes only add what is missing (looked up by code),
so running it twice changes nothing, and running it with a larger N extends the county.

The steps are separate functions so a later step (e.g. building a rating history on top
of these places) can be added to ``seed_demo`` without touching them.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from . import rules
from .models import (
    CommitteeMember,
    CommitteePost,
    PartyOrg,
    SelfManagement,
    Settlement,
    SettlementOrganisation,
    TeamMember,
    TeamRole,
    Township,
    User,
    Village,
)
from .roles import ASSESSOR, OFFICIAL, SECRETARY
from .selectors import township_options_changed

DEMO_PASSWORD = "Demo-2026-stars!"
DEFAULT_SETTLEMENTS = 283  # Pingshan's count (SPEC, source article)
COUNTY_CODE = "511529"  # 屏山县's administrative division code
BATCH_SIZE = 1000

# The real townships of 屏山县 first; beyond them, generated names.
PINGSHAN_TOWNSHIPS = (
    "锦屏镇",
    "新市镇",
    "中都镇",
    "龙华镇",
    "大乘镇",
    "富荣镇",
    "书楼镇",
    "清平彝族乡",
    "屏边彝族乡",
    "鸭池乡",
)
_NAME_HEADS = "龙凤青石白金新太清安永兴福和平大高双宝长丰马黄云东南西北红绿柏桂桃竹花松"
_NAME_TAILS = "溪坝山河池桥田林江岭口湾场坪关滩寨沟岗峰"
_NAME_KINDS = ("镇", "乡")

VILLAGE_NAMES = (
    "新华村",
    "红岩村",
    "龙溪村",
    "石桥村",
    "柏树村",
    "青杠村",
    "桂花村",
    "金竹村",
    "团结村",
    "民主村",
    "光明村",
    "胜利村",
    "和平村",
    "向阳村",
    "新民村",
    "建设村",
    "高峰村",
    "河坝村",
    "黄桷村",
    "双河村",
    "田坝村",
    "白果村",
    "大坪村",
    "新桥村",
    "龙泉村",
    "松林村",
    "凤凰村",
    "乐善村",
    "楠木村",
    "茶园村",
    "竹林村",
    "沙坝村",
    "水井村",
    "枫香村",
    "学堂村",
    "龙门村",
    "三合村",
    "永兴村",
    "长岭村",
    "玉泉村",
)
SETTLEMENT_SUFFIXES = (
    "安置点",
    "幸福苑",
    "新村",
    "安居小区",
    "聚居点",
    "移民新村",
    "和美家园",
    "新居",
)
ORDINALS = "一二三四五六七八九十"

# Households per class, and how often each class occurs in the demo.
CLASS_RANGES = {1: (100, 300), 2: (50, 99), 3: (20, 49), 4: (5, 19)}
CLASS_WEIGHTS = {1: 22, 2: 30, 3: 28, 4: 20}
CLASSES = tuple(CLASS_WEIGHTS)
CLASS_CUM_WEIGHTS = tuple(itertools.accumulate(CLASS_WEIGHTS.values()))
MOVE_IN_FIRST = date(2016, 1, 1)
MOVE_IN_LAST = date(2020, 12, 31)
MOVE_IN_SPAN_DAYS = (MOVE_IN_LAST - MOVE_IN_FIRST).days
# 屏山县 lies around 28.6–29.0°N, 103.8–104.5°E.
COUNTY_CENTRE = (Decimal("28.80"), Decimal("104.15"))
PARTY_GAP_RATE = 0.07
SELF_GAP_RATE = 0.06


@dataclass(frozen=True)
class TownshipPlan:
    code: str
    name: str
    settlements: int


@dataclass(frozen=True)
class VillagePlan:
    code: str
    name: str
    township_code: str


@dataclass(frozen=True)
class PlacesResult:
    townships: int
    villages: int
    settlements: int


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    note: str
    created: bool


# ------------------------------------------------------------------ the plan (pure)


def _rng(seed: str) -> random.Random:
    # Seeded from a string (hashed with SHA-512, stable across runs and PYTHONHASHSEED):
    # demo data, not secrets.
    return random.Random(seed)  # noqa: S311


def township_count(n: int) -> int:
    """About ten townships for a county the size of Pingshan; ~50 settlements each beyond."""
    if n < 1:
        raise ValueError("聚居点数量必须至少为 1。")
    if n < 10:
        return n
    return max(10, round(n / 50))


def township_names(count: int) -> list[str]:
    names = list(PINGSHAN_TOWNSHIPS[:count])
    taken = set(names)
    generated = [h + t + k for k in _NAME_KINDS for h in _NAME_HEADS for t in _NAME_TAILS]
    _rng("township-names").shuffle(generated)
    for name in generated:
        if len(names) >= count:
            break
        if name not in taken:
            names.append(name)
            taken.add(name)
    serial = 1
    while len(names) < count:  # more townships than two-character names: number them
        names.append(f"第{serial}新区乡")
        serial += 1
    return names


def township_code(index: int) -> str:
    return f"{COUNTY_CODE}{101 + index:03d}"


def allocate(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder), at least 1 each
    when there is enough to go round."""
    if not weights:
        return []
    floor_each = 1 if total >= len(weights) else 0
    rest = total - floor_each * len(weights)
    whole = sum(weights)
    shares = [rest * w / whole for w in weights]
    counts = [floor_each + math.floor(s) for s in shares]
    by_remainder = sorted(
        range(len(weights)), key=lambda i: (-(shares[i] - math.floor(shares[i])), i)
    )
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def plan_townships(n: int) -> list[TownshipPlan]:
    count = township_count(n)
    codes = [township_code(i) for i in range(count)]
    weights = [_rng(f"weight:{code}").uniform(0.6, 1.4) for code in codes]
    sizes = allocate(n, weights)
    return [
        TownshipPlan(code=code, name=name, settlements=size)
        for code, name, size in zip(codes, township_names(count), sizes, strict=True)
    ]


def villages_for(township: TownshipPlan) -> list[VillagePlan]:
    count = max(1, min(len(VILLAGE_NAMES), math.ceil(township.settlements / 6)))
    names = list(VILLAGE_NAMES)
    _rng(f"villages:{township.code}").shuffle(names)
    return [
        VillagePlan(
            code=f"{township.code}{201 + j:03d}", name=names[j], township_code=township.code
        )
        for j in range(count)
    ]


def settlement_codes_for(
    township: TownshipPlan, villages: list[VillagePlan]
) -> list[tuple[VillagePlan, int]]:
    """(village, ordinal within the village) for each of the township's settlements."""
    return [
        (villages[k % len(villages)], k // len(villages) + 1) for k in range(township.settlements)
    ]


def settlement_code(village: VillagePlan, ordinal: int) -> str:
    return f"{village.code}-{ordinal:02d}"


def _party_org(rng: random.Random, party_members: int) -> str:
    wanted = rules.party_organisation_form(party_members)
    if rng.random() >= PARTY_GAP_RATE:
        if wanted == rules.FORM_BRANCH:
            return PartyOrg.BRANCH
        if wanted == rules.FORM_JOINT_OR_GROUP:
            return rng.choice([PartyOrg.JOINT, PartyOrg.GROUP])
        return PartyOrg.STATION
    # The realistic gaps: nothing set up yet, or a form that no longer fits the members.
    if rng.random() < 0.4:
        return PartyOrg.NONE
    return {
        rules.FORM_BRANCH: PartyOrg.GROUP,
        rules.FORM_JOINT_OR_GROUP: PartyOrg.STATION,
        rules.FORM_STATION: PartyOrg.NONE,
    }[wanted]


def _self_management(rng: random.Random, households: int) -> str:
    wanted = rules.self_management_form(households)
    if rng.random() >= SELF_GAP_RATE:
        return wanted
    if rng.random() < 0.5:
        return SelfManagement.NONE
    # e.g. 60 households but only an executor (SPEC §2's example), or a committee for 12.
    return SelfManagement.EXECUTOR if wanted == rules.SELF_COMMITTEE else SelfManagement.COMMITTEE


def _coordinate(value: float) -> Decimal:
    return Decimal(f"{value:.6f}")


@lru_cache(maxsize=4096)
def _village_name_kinds(village_code: str) -> tuple[str, ...]:
    suffixes = list(SETTLEMENT_SUFFIXES)
    _rng(f"names:{village_code}").shuffle(suffixes)
    return tuple(suffixes)


@lru_cache(maxsize=4096)
def _township_centre(township_code: str) -> tuple[float, float]:
    rng = _rng(f"centre:{township_code}")
    return (
        float(COUNTY_CENTRE[0]) + rng.uniform(-0.25, 0.25),
        float(COUNTY_CENTRE[1]) + rng.uniform(-0.35, 0.35),
    )


def plan_settlement(village: VillagePlan, ordinal: int) -> dict:
    """The facts of one demo settlement, a function of its code alone."""
    code = settlement_code(village, ordinal)
    rng = _rng(f"settlement:{code}")
    klass = rng.choices(CLASSES, cum_weights=CLASS_CUM_WEIGHTS)[0]
    low, high = CLASS_RANGES[klass]
    households = rng.randint(low, high)
    residents = max(households, round(households * rng.uniform(2.6, 4.3)))
    party_members = min(10, rng.randint(0, 3 + households // 30))
    # Each settlement of a village gets its own kind of name; phases only once they run out.
    kinds = _village_name_kinds(village.code)
    phase, kind = divmod(ordinal - 1, len(kinds))
    name = village.name.removesuffix("村") + kinds[kind]
    if phase:
        name += f"{ORDINALS[phase]}期" if phase < len(ORDINALS) else f"{phase + 1}号点"
    lat, lon = _township_centre(village.township_code)
    return {
        "code": code,
        "name": name,
        "households": households,
        "residents": residents,
        "party_members": party_members,
        "moved_in_on": MOVE_IN_FIRST + timedelta(days=rng.randint(0, MOVE_IN_SPAN_DAYS)),
        "latitude": _coordinate(lat + rng.uniform(-0.04, 0.04)),
        "longitude": _coordinate(lon + rng.uniform(-0.04, 0.04)),
        "party_org": _party_org(rng, party_members),
        "self_management": _self_management(rng, households),
    }


# ------------------------------------------------------------------ writes


@transaction.atomic
def build_places(n: int = DEFAULT_SETTLEMENTS, *, batch_size: int = BATCH_SIZE) -> PlacesResult:
    """Create the townships, villages and settlements of the demo county that are missing.

    Returns how many of each were created (all zero on a second run).
    """
    townships = plan_townships(n)
    existing_townships = dict(Township.objects.values_list("name", "code"))
    clashes = [t.name for t in townships if existing_townships.get(t.name) not in (None, t.code)]
    if clashes:
        raise ValueError(f"乡镇名称已被其他代码占用，无法生成演示数据：{'、'.join(clashes[:5])}")
    have_codes = set(existing_townships.values())
    new_townships = [
        Township(code=t.code, name=t.name) for t in townships if t.code not in have_codes
    ]
    Township.objects.bulk_create(new_townships, batch_size=batch_size)
    township_options_changed()  # bulk_create sends no signal
    township_ids = dict(
        Township.objects.filter(code__startswith=COUNTY_CODE).values_list("code", "id")
    )

    village_plans = {t.code: villages_for(t) for t in townships}
    have_villages = set(
        Village.objects.filter(code__startswith=COUNTY_CODE).values_list("code", flat=True)
    )
    new_villages = [
        Village(code=v.code, name=v.name, township_id=township_ids[v.township_code])
        for plans in village_plans.values()
        for v in plans
        if v.code not in have_villages
    ]
    Village.objects.bulk_create(new_villages, batch_size=batch_size)
    village_ids = dict(
        Village.objects.filter(code__startswith=COUNTY_CODE).values_list("code", "id")
    )

    have_settlements = set(
        Settlement.objects.filter(code__startswith=COUNTY_CODE).values_list("code", flat=True)
    )
    new_settlements = [
        Settlement(village_id=village_ids[village.code], **plan_settlement(village, ordinal))
        for t in townships
        for village, ordinal in settlement_codes_for(t, village_plans[t.code])
        if settlement_code(village, ordinal) not in have_settlements
    ]
    # Plain bulk_create, no history rows: generating the demo is not a change anyone made,
    # and writing 35,000 historical rows would more than double the time. History starts
    # with the first real edit.
    Settlement.objects.bulk_create(new_settlements, batch_size=batch_size)
    return PlacesResult(
        townships=len(new_townships), villages=len(new_villages), settlements=len(new_settlements)
    )


DEMO_USERS = (
    # username, display name, role group, is_staff, is_superuser, township index (or None)
    ("official", "王建华", OFFICIAL, True, False, 0),
    ("assessor", "李明远", ASSESSOR, False, False, None),
    ("secretary", "张秀英", SECRETARY, True, True, None),
    # An objection is heard by an assessor who took no part in the review; the second
    # township shows that an official sees only their own.
    ("assessor2", "陈思齐", ASSESSOR, False, False, None),
    ("official2", "刘海燕", OFFICIAL, True, False, 1),
)
# Every other township's official (no usable password): they submit its self-assessments.
TOWNSHIP_OFFICIAL_PREFIX = "xz"
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
_GIVEN = "建华明远秀英海燕思齐国强志勇丽娟文军桂兰春梅德福永红玉珍光辉小平晓东金凤宏伟"
# Importing is granted per person, not by the role (SPEC §9: import has its own
# permission); the demo official holds it so the admin import can be tried.
DEMO_USER_PERMISSIONS = {"official": ("settlements.import_settlement",)}


def first_township() -> Township:
    return nth_township(0)


def nth_township(index: int) -> Township:
    code = township_code(index)
    try:
        return Township.objects.get(code=code)
    except Township.DoesNotExist:
        raise ValueError(f"演示乡镇 {code} 不存在：请先生成演示聚居点。") from None


@transaction.atomic
def ensure_users(*, password: str = DEMO_PASSWORD) -> list[DemoLogin]:
    """Create the three demo users if missing, and put them back in their roles.

    An existing user's password is left alone: a second run changes nothing.
    """
    townships = {0: first_township()}
    if Township.objects.filter(code=township_code(1)).exists():
        townships[1] = nth_township(1)
    groups = {g.name: g for g in Group.objects.filter(name__in=[OFFICIAL, ASSESSOR, SECRETARY])}
    missing = {OFFICIAL, ASSESSOR, SECRETARY} - set(groups)
    if missing:
        raise ValueError(f"角色组不存在（{'、'.join(sorted(missing))}）：请先运行 migrate。")
    logins = []
    for username, display, role, staff, superuser, index in DEMO_USERS:
        if index is not None and index not in townships:
            continue  # a one-township county has no second official
        township = townships[index] if index is not None else None
        wanted = {
            "display_name": display,
            "is_staff": staff,
            "is_superuser": superuser,
            "is_active": True,
            "township_id": township.pk if township else None,
        }
        user = User.objects.filter(username=username).first()
        created = user is None
        if user is None:
            user = User(username=username, **wanted)
            user.set_password(password)
            user.save()
        else:
            changed = [k for k, v in wanted.items() if getattr(user, k) != v]
            if changed:
                for k in changed:
                    setattr(user, k, wanted[k])
                user.save(update_fields=changed)
        if not user.groups.filter(pk=groups[role].pk).exists():
            user.groups.add(groups[role])
        for label in DEMO_USER_PERMISSIONS.get(username, ()):
            app_label, codename = label.split(".")
            permission = Permission.objects.get(
                content_type__app_label=app_label, codename=codename
            )
            if not user.user_permissions.filter(pk=permission.pk).exists():
                user.user_permissions.add(permission)
        note = f"{role} · {township.name}" if township else role
        logins.append(DemoLogin(username=username, role=role, note=note, created=created))
    return logins


def describe_logins(township_name: str | None = None) -> list[tuple[str, str]]:
    """(username, what they are) for printing, without touching the database's users."""
    name = township_name or PINGSHAN_TOWNSHIPS[0]
    notes = {
        "official": f"{OFFICIAL}（{name}，可在管理后台导入/导出本乡镇聚居点）",
        "assessor": f"{ASSESSOR}（全县聚居点）",
        "secretary": f"{SECRETARY}（管理员 / admin）",
        "assessor2": f"{ASSESSOR}（第二位考评员：处理未参与考评的异议）",
        "official2": f"{OFFICIAL}（{PINGSHAN_TOWNSHIPS[1]}：只看得到本乡镇）",
    }
    return [(username, notes[username]) for username, *_ in DEMO_USERS]


def _person_name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))


@transaction.atomic
def ensure_township_officials() -> int:
    """An official for every demo township without one (no usable password); returns how many were made."""
    group = Group.objects.get(name=OFFICIAL)
    staffed = set(
        User.objects.filter(groups=group, township__isnull=False).values_list(
            "township_id", flat=True
        )
    )
    made = 0
    for township in Township.objects.filter(code__startswith=COUNTY_CODE).order_by("code"):
        if township.pk in staffed:
            continue
        username = f"{TOWNSHIP_OFFICIAL_PREFIX}{township.code[-3:]}"
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username,
                display_name=_person_name(_rng(f"official:{township.code}")),
                township=township,
            )
            user.set_unusable_password()
            user.save()
            made += 1
        user.groups.add(group)
    return made


# Most settlements have their organisation in place (the README's "most have no gaps");
# a few still lack a role of the 5员1长 team or a named leader, as a real county does.
TEAM_GAP_RATE = 0.05
LEADER_GAP_RATE = 0.02


def plan_governance(code: str, *, party_org: str, self_management: str) -> dict:
    """Names for one settlement's organisation, committee and team: a function of its code."""
    rng = _rng(f"governance:{code}")
    leader = (
        party_org in (PartyOrg.BRANCH, PartyOrg.JOINT, PartyOrg.GROUP)
        and rng.random() >= LEADER_GAP_RATE
    )
    roles = [role for role, _label in TeamRole.choices]
    if rng.random() < TEAM_GAP_RATE:
        roles.remove(rng.choice(roles))
    return {
        "party_leader_name": _person_name(rng) if leader else "",
        "dispatched_member_name": _person_name(rng) if party_org == PartyOrg.STATION else "",
        "executor_name": _person_name(rng) if self_management == SelfManagement.EXECUTOR else "",
        "committee": (
            [
                (CommitteePost.DIRECTOR, _person_name(rng)),
                (CommitteePost.DEPUTY, _person_name(rng)),
                (CommitteePost.MEMBER, _person_name(rng)),
            ]
            if self_management == SelfManagement.COMMITTEE
            else []
        ),
        "team": [(role, _person_name(rng)) for role in roles],
    }


@transaction.atomic
def build_governance(*, batch_size: int = BATCH_SIZE) -> int:
    """Organisation, committee and 5员1长 team for demo settlements that have none yet."""
    todo = list(
        Settlement.objects.filter(code__startswith=COUNTY_CODE, organisation__isnull=True)
        .order_by("code")
        .values_list("pk", "code", "party_org", "self_management")
    )
    organisations, committee, team = [], [], []
    for pk, code, party_org, self_management in todo:
        plan = plan_governance(code, party_org=party_org, self_management=self_management)
        organisations.append(
            SettlementOrganisation(
                settlement_id=pk,
                party_leader_name=plan["party_leader_name"],
                dispatched_member_name=plan["dispatched_member_name"],
                executor_name=plan["executor_name"],
            )
        )
        committee += [
            CommitteeMember(settlement_id=pk, post=post, name=name)
            for post, name in plan["committee"]
        ]
        team += [TeamMember(settlement_id=pk, role=role, name=name) for role, name in plan["team"]]
    # Plain bulk_create like the places: generating the demo is not anyone's edit.
    SettlementOrganisation.objects.bulk_create(organisations, batch_size=batch_size)
    CommitteeMember.objects.bulk_create(committee, batch_size=batch_size)
    TeamMember.objects.bulk_create(team, batch_size=batch_size)
    return len(organisations)
