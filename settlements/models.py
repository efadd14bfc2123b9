from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Case, Q, Value, When
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from . import rules


class Township(models.Model):
    code = models.CharField(_("乡镇代码"), max_length=32, unique=True)
    name = models.CharField(_("乡镇名称"), max_length=64, unique=True)

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

    class Meta:
        verbose_name = _("村")
        verbose_name_plural = _("村")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["township", "name"], name="village_name_unique_in_township")
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

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username


def _class_expression() -> Case:
    # Built from the same thresholds as rules.settlement_class so the two cannot drift.
    return Case(
        *[When(households__gte=minimum, then=Value(klass)) for minimum, klass in rules.CLASS_THRESHOLDS],
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


class SettlementQuerySet(models.QuerySet):
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
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    party_org = models.CharField(
        _("党组织形式"), max_length=16, choices=PartyOrg.choices, default=PartyOrg.NONE
    )
    self_management = models.CharField(
        _("自治组织形式"), max_length=16, choices=SelfManagement.choices, default=SelfManagement.NONE
    )
    klass = models.GeneratedField(
        expression=_class_expression(),
        output_field=models.PositiveSmallIntegerField(choices=SettlementClass.choices),
        db_persist=True,
        verbose_name=_("类别"),
    )
    # Kept by the service that makes a rating take effect: lists and dashboards read it
    # instead of looking up the latest rating per row (PERFORMANCE.md).
    current_star = models.PositiveSmallIntegerField(_("当前星级"), default=0, editable=False)
    current_score = models.DecimalField(
        _("当前得分"), max_digits=5, decimal_places=1, null=True, blank=True, editable=False
    )

    objects = SettlementQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["klass"])

    class Meta:
        verbose_name = _("聚居点")
        verbose_name_plural = _("聚居点")
        ordering = ["code"]
        permissions = [("import_settlement", _("可导入聚居点")), ("export_settlement", _("可导出聚居点"))]
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
        return SettlementClass(self.settlement_class).label

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
