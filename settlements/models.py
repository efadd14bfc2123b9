from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Case, Q, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from . import rules
from .governance import rules as governance_rules


class Township(models.Model):
    code = models.CharField(_("乡镇代码"), max_length=32, unique=True)
    name = models.CharField(_("乡镇名称"), max_length=64, unique=True)
    # Optimistic lock: the version a form was opened at must still be stored when it is saved.
    version = models.PositiveIntegerField(_("版本"), default=0)

    class Meta:
        verbose_name = _("乡镇")
        verbose_name_plural = _("乡镇")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Village(models.Model):
    township = models.ForeignKey(
        Township, on_delete=models.PROTECT, related_name="villages", verbose_name=_("乡镇")
    )
    code = models.CharField(_("村代码"), max_length=32, unique=True)
    name = models.CharField(_("村名称"), max_length=64)
    # Optimistic lock: the version a form was opened at must still be stored when it is saved.
    version = models.PositiveIntegerField(_("版本"), default=0)

    class Meta:
        verbose_name = _("村")
        verbose_name_plural = _("村")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["township", "name"], name="village_name_unique_in_township"
            )
        ]

    def __str__(self) -> str:
        return f"{self.township.name}·{self.name}"


class User(AbstractUser):
    """A user; township officials are tied to exactly one township."""

    township = models.ForeignKey(
        Township,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="officials",
        verbose_name=_("所属乡镇"),
        help_text=_("乡镇干部只能看到本乡镇的聚居点。"),
    )
    display_name = models.CharField(_("姓名"), max_length=32, blank=True)
    # Optimistic lock: the version a form was opened at must still be stored when it is saved.
    version = models.PositiveIntegerField(_("版本"), default=0)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username


def _class_expression() -> Case:
    # Built from the same thresholds as rules.settlement_class so the two cannot drift.
    return Case(
        *[
            When(households__gte=minimum, then=Value(klass))
            for minimum, klass in rules.CLASS_THRESHOLDS
        ],
        default=Value(rules.LOWEST_CLASS),
    )


class SettlementClass(models.IntegerChoices):
    I = 1, _("一类（100户及以上）")  # noqa: E741
    II = 2, _("二类（50–99户）")
    III = 3, _("三类（20–49户）")
    IV = 4, _("四类（20户以下）")


class PartyOrg(models.TextChoices):
    BRANCH = rules.PARTY_BRANCH, _("党支部")
    JOINT = rules.PARTY_JOINT, _("联合党组织")
    GROUP = rules.PARTY_GROUP, _("党小组")
    STATION = rules.PARTY_STATION, _("党员先锋服务站（选派党员）")
    NONE = rules.PARTY_NONE, _("尚未建立")


class SelfManagement(models.TextChoices):
    COMMITTEE = rules.SELF_COMMITTEE, _("自主管理委员会")
    EXECUTOR = rules.SELF_EXECUTOR, _("自主管理执行人")
    NONE = rules.SELF_NONE, _("尚未建立")


GAP_LABELS = {
    "party_missing": _("尚未建立党组织"),
    "party_form": _("党组织形式与党员人数不符"),
    "self_missing": _("尚未建立自治组织"),
    "self_form": _("自治组织形式与户数不符"),
}


class SettlementQuerySet(models.QuerySet["Settlement"]):
    def with_places(self) -> SettlementQuerySet:
        return self.select_related("village__township")


class Settlement(models.Model):
    code = models.CharField(_("聚居点代码"), max_length=32, unique=True)
    name = models.CharField(_("聚居点名称"), max_length=100)
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="settlements", verbose_name=_("所属村")
    )
    households = models.PositiveIntegerField(_("户数"))
    residents = models.PositiveIntegerField(_("人口数"))
    party_members = models.PositiveIntegerField(_("党员数"), default=0)
    moved_in_on = models.DateField(_("搬迁入住日期"), null=True, blank=True)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(
        _("经度"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    party_org = models.CharField(
        _("党组织形式"), max_length=16, choices=PartyOrg.choices, default=PartyOrg.NONE
    )
    self_management = models.CharField(
        _("自治组织形式"),
        max_length=16,
        choices=SelfManagement.choices,
        default=SelfManagement.NONE,
    )
    klass = models.GeneratedField(
        expression=_class_expression(),
        output_field=models.PositiveSmallIntegerField(choices=SettlementClass.choices),
        db_persist=True,
        verbose_name=_("类别"),
    )
    # Kept by the service that makes a rating take effect: lists and dashboards read it
    # instead of looking up the latest rating per row (README, "Performance").
    current_star = models.PositiveSmallIntegerField(_("当前星级"), default=0, editable=False)
    current_score = models.DecimalField(
        _("当前得分"), max_digits=5, decimal_places=1, null=True, blank=True, editable=False
    )

    # Optimistic lock: the version a form was opened at must still be stored when it is saved.
    version = models.PositiveIntegerField(_("版本"), default=0)

    objects = SettlementQuerySet.as_manager()
    # Set before save() for django-simple-history: who made the change, and why.
    _history_user: User | None
    _change_reason: str

    history = HistoricalRecords(excluded_fields=["klass"])

    class Meta:
        verbose_name = _("聚居点")
        verbose_name_plural = _("聚居点")
        ordering = ["code"]
        permissions = [
            ("import_settlement", _("可导入聚居点")),
            ("export_settlement", _("可导出聚居点")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(residents__gte=models.F("households")) | Q(households=0),
                name="settlement_residents_at_least_households",
            ),
            models.CheckConstraint(
                condition=Q(party_members__lte=models.F("residents")),
                name="settlement_party_members_within_residents",
            ),
            models.CheckConstraint(
                condition=Q(current_star__in=[0, 3, 4, 5]), name="settlement_current_star_valid"
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="settlement_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="settlement_longitude_range",
            ),
        ]
        indexes = [models.Index(fields=["klass", "current_star"], name="settlement_class_star")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("settlements:detail", args=[self.pk])

    @property
    def township(self) -> Township:
        return self.village.township

    @property
    def settlement_class(self) -> int:
        """The class from the current households (valid before a save, unlike ``klass``)."""
        return rules.settlement_class(self.households)

    @property
    def class_label(self) -> str:
        return str(SettlementClass(self.settlement_class).label)

    @property
    def required_party_form(self) -> str:
        return rules.party_organisation_form(self.party_members)

    @property
    def required_self_management(self) -> str:
        return rules.self_management_form(self.households)

    @property
    def organisation_gaps(self) -> list[str]:
        return rules.organisation_gaps(
            households=self.households,
            party_members=self.party_members,
            party_org=self.party_org,
            self_management=self.self_management,
        )

    @property
    def organisation_gap_labels(self) -> list[str]:
        return [str(GAP_LABELS[g]) for g in self.organisation_gaps]


# ---------------------------------------------------------------------------
# Governance (SPEC §2, §8): who holds each organisation, the 5员1长 team, residents'
# points and the red/black lists. Personal data lives here; only the settlement's own
# township officials and Party secretaries see it (settlements.governance.selectors).
# ---------------------------------------------------------------------------

phone_validator = RegexValidator(
    r"^[0-9][0-9\- ]{4,19}$", _("请填写有效的电话号码（数字，可含“-”）。")
)


class TeamRole(models.TextChoices):
    PARTY_MEMBER = governance_rules.TEAM_PARTY_MEMBER, _("党员")
    LIFE_SERVICE = governance_rules.TEAM_LIFE_SERVICE, _("“友邻家务”生活服务员")
    SAFETY = governance_rules.TEAM_SAFETY, _("公共安全协管员")
    WELFARE_POST = governance_rules.TEAM_WELFARE_POST, _("公益性岗位人员")
    GRID = governance_rules.TEAM_GRID, _("网格化治理员")
    BUILDING_HEAD = governance_rules.TEAM_BUILDING_HEAD, _("楼栋长")


class CommitteePost(models.TextChoices):
    DIRECTOR = "director", _("主任")
    DEPUTY = "deputy", _("副主任")
    MEMBER = "member", _("委员")


GOVERNANCE_GAP_LABELS = {
    **GAP_LABELS,
    governance_rules.GAP_PARTY_NO_LEADER: _("党组织书记（负责人、组长）未登记"),
    governance_rules.GAP_PARTY_NO_DISPATCHED: _("党员先锋服务站未登记选派党员"),
    governance_rules.GAP_SELF_NO_COMMITTEE_MEMBERS: _("自主管理委员会未登记成员"),
    governance_rules.GAP_SELF_NO_EXECUTOR: _("未登记自主管理执行人"),
    governance_rules.GAP_TEAM_MISSING: _("“5员1长”队伍缺少角色"),
}


class SettlementOrganisation(models.Model):
    """The people behind a settlement's Party organisation and self-management body.

    The forms themselves are Settlement.party_org and Settlement.self_management.
    """

    settlement = models.OneToOneField(
        Settlement, on_delete=models.CASCADE, related_name="organisation", verbose_name=_("聚居点")
    )
    party_leader_name = models.CharField(
        _("党组织书记（负责人、组长）"),
        max_length=32,
        blank=True,
        help_text=_("党支部书记、联合党组织负责人或党小组组长。"),
    )
    party_leader_phone = models.CharField(
        _("书记（负责人、组长）电话"), max_length=20, blank=True, validators=[phone_validator]
    )
    dispatched_member_name = models.CharField(
        _("选派党员"), max_length=32, blank=True, help_text=_("党员先锋服务站选派的党员。")
    )
    dispatched_member_phone = models.CharField(
        _("选派党员电话"), max_length=20, blank=True, validators=[phone_validator]
    )
    executor_name = models.CharField(_("自主管理执行人"), max_length=32, blank=True)
    executor_phone = models.CharField(
        _("执行人电话"), max_length=20, blank=True, validators=[phone_validator]
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    # Optimistic lock: the version a form was opened at must still be stored when it is saved.
    version = models.PositiveIntegerField(_("版本"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("聚居点组织")
        verbose_name_plural = _("聚居点组织")

    def __str__(self) -> str:
        return str(self.settlement)


class CommitteeMember(models.Model):
    settlement = models.ForeignKey(
        Settlement,
        on_delete=models.CASCADE,
        related_name="committee_members",
        verbose_name=_("聚居点"),
    )
    post = models.CharField(
        _("职务"), max_length=16, choices=CommitteePost.choices, default=CommitteePost.MEMBER
    )
    name = models.CharField(_("姓名"), max_length=32)
    phone = models.CharField(_("电话"), max_length=20, blank=True, validators=[phone_validator])

    # Optimistic lock: the version a form was opened at must still be stored when it is saved.
    version = models.PositiveIntegerField(_("版本"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("自主管理委员会成员")
        verbose_name_plural = _("自主管理委员会成员")
        ordering = ["settlement", "post", "pk"]

    def __str__(self) -> str:
        return f"{self.get_post_display()} {self.name}"


class TeamMember(models.Model):
    """A member of the settlement's 5员1长 team; a role may have several holders."""

    settlement = models.ForeignKey(
        Settlement, on_delete=models.CASCADE, related_name="team_members", verbose_name=_("聚居点")
    )
    role = models.CharField(_("角色"), max_length=16, choices=TeamRole.choices)
    name = models.CharField(_("姓名"), max_length=32)
    phone = models.CharField(_("电话"), max_length=20, blank=True, validators=[phone_validator])

    # Optimistic lock: the version a form was opened at must still be stored when it is saved.
    version = models.PositiveIntegerField(_("版本"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("“5员1长”队伍成员")
        verbose_name_plural = _("“5员1长”队伍成员")
        ordering = ["settlement", "role", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=list(governance_rules.TEAM_ROLES)),
                name="team_member_role_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.name}"


class Household(models.Model):
    """A resident household of a settlement, holding points (积分制)."""

    settlement = models.ForeignKey(
        Settlement,
        on_delete=models.PROTECT,
        related_name="resident_households",
        verbose_name=_("聚居点"),
    )
    head_name = models.CharField(_("户主姓名"), max_length=32)
    id_number = models.CharField(_("户主身份证号"), max_length=18)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True, validators=[phone_validator])
    members = models.PositiveSmallIntegerField(_("家庭人口"), default=1)
    # Fixed when the household is added: the balance is base + entries, and a correction
    # is a reversing entry, never an edit of the base (SPEC §8).
    base_score = models.DecimalField(
        _("基础分"), max_digits=7, decimal_places=1, default=governance_rules.DEFAULT_BASE_SCORE
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    # Set before save() for django-simple-history: who made the change, and why.
    _history_user: User | None
    _change_reason: str
    _fixed_base: Decimal | None  # kept by the spreadsheet import: the stored base score
    # Optimistic lock: the version a form was opened at must still be stored when it is saved.
    version = models.PositiveIntegerField(_("版本"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("居民户")
        verbose_name_plural = _("居民户")
        ordering = ["settlement", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["settlement", "id_number"], name="household_id_number_unique_in_settlement"
            ),
            models.CheckConstraint(
                condition=Q(members__gte=1), name="household_members_at_least_one"
            ),
            models.CheckConstraint(
                condition=Q(base_score__gte=0), name="household_base_score_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.head_name}（{self.masked_id_number}）"

    @property
    def masked_id_number(self) -> str:
        return governance_rules.mask_id_number(self.id_number)


class PointCategory(models.Model):
    """What points are given for (参与管理, 爱护卫生, 参与公益 …); configurable data."""

    name = models.CharField(_("类别名称"), max_length=32, unique=True)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)

    # Optimistic lock: the version a form was opened at must still be stored when it is saved.
    version = models.PositiveIntegerField(_("版本"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("积分类别")
        verbose_name_plural = _("积分类别")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name


class ImmutableRecordError(Exception):
    """Raised on any attempt to change or delete a ledger entry or a published list."""


class ImmutableQuerySet(models.QuerySet):
    def update(self, **kwargs: object) -> int:
        raise ImmutableRecordError(f"{self.model.__name__} rows cannot be updated")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ImmutableRecordError(f"{self.model.__name__} rows cannot be deleted")


class ImmutableModel(models.Model):
    """Insert-only: the model layer refuses to save an existing row or delete one."""

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableRecordError(f"{type(self).__name__} {self.pk} cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ImmutableRecordError(f"{type(self).__name__} {self.pk} cannot be deleted")


class PointEntry(ImmutableModel):
    """One plus or minus of a household's points. Never edited: corrected by reversal."""

    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="entries", verbose_name=_("居民户")
    )
    category = models.ForeignKey(
        PointCategory, on_delete=models.PROTECT, related_name="entries", verbose_name=_("积分类别")
    )
    points = models.DecimalField(_("分值"), max_digits=7, decimal_places=1)
    reason = models.CharField(_("事由"), max_length=200)
    occurred_on = models.DateField(_("发生日期"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("记录人"),
    )
    recorded_at = models.DateTimeField(_("记录时间"), default=timezone.now)
    # One-to-one: the database lets an entry be reversed at most once.
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name=_("冲正的记录"),
    )

    class Meta:
        verbose_name = _("积分记录")
        verbose_name_plural = _("积分记录")
        ordering = ["-occurred_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(points=0), name="point_entry_points_not_zero"),
        ]
        indexes = [
            models.Index(fields=["household", "occurred_on"], name="point_entry_household_date")
        ]

    def __str__(self) -> str:
        return f"{self.household.head_name} {self.points:+}"

    @property
    def is_reversal(self) -> bool:
        return self.reverses_id is not None


class HonourKind(models.TextChoices):
    RED = "red", _("红榜")
    BLACK = "black", _("黑榜")


class HonourList(ImmutableModel):
    """A published red/black list (红黑榜) for a period: a frozen snapshot, not a query."""

    settlement = models.ForeignKey(
        Settlement, on_delete=models.PROTECT, related_name="honour_lists", verbose_name=_("聚居点")
    )
    period_start = models.DateField(_("起始日期"))
    period_end = models.DateField(_("截止日期"))
    size = models.PositiveSmallIntegerField(_("每榜户数"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("发布人"),
    )
    published_at = models.DateTimeField(_("发布时间"), default=timezone.now)

    class Meta:
        verbose_name = _("红黑榜")
        verbose_name_plural = _("红黑榜")
        ordering = ["-period_end", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["settlement", "period_start", "period_end"],
                name="honour_list_one_per_period",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="honour_list_period_order",
            ),
            models.CheckConstraint(
                condition=Q(size__gte=1, size__lte=50), name="honour_list_size_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.settlement} {self.period_start}–{self.period_end}"


class HonourListRow(ImmutableModel):
    honour_list = models.ForeignKey(
        HonourList, on_delete=models.PROTECT, related_name="rows", verbose_name=_("红黑榜")
    )
    kind = models.CharField(_("榜别"), max_length=8, choices=HonourKind.choices)
    rank = models.PositiveSmallIntegerField(_("名次"))
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="honour_rows", verbose_name=_("居民户")
    )
    # Snapshots: the list shows what was true when it was published.
    head_name = models.CharField(_("户主姓名"), max_length=32)
    points = models.DecimalField(_("期间积分"), max_digits=8, decimal_places=1)

    class Meta:
        verbose_name = _("红黑榜名单")
        verbose_name_plural = _("红黑榜名单")
        ordering = ["honour_list", "kind", "rank", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["honour_list", "household"], name="honour_row_household_once"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["red", "black"]), name="honour_row_kind_valid"
            ),
            models.CheckConstraint(
                condition=(Q(kind="red", points__gt=0) | Q(kind="black", points__lt=0)),
                name="honour_row_points_match_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.rank} {self.head_name}"


# Defined in their own module to keep this one readable; imported here so
# `settlements.models.X` works for all of them.


# Defined in their own module to keep this one readable; imported here so that
# `settlements.models.X` names every model of the app.
from .models_county import (  # noqa: E402, F401
    CalendarDay,
    CalendarDayKind,
    CountySettings,
    SettlementGaps,
)
