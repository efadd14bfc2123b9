"""Stored aggregates the dashboards read, and the county's five-star target.

Facts that change only when a rating takes effect or its star changes: dashboards.stats
keeps them, so pages read a few hundred rows instead of every rating (README, "Performance").
The models moved here from ratings with their tables (``db_table`` keeps the old names).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ratings.models import SCORE
from settlements.models import Settlement, SettlementClass


class RoundStat(models.Model):
    """Effective ratings of one round, counted per township, class and star."""

    round = models.ForeignKey(
        "ratings.Round", on_delete=models.CASCADE, related_name="+", verbose_name=_("轮次")
    )
    township = models.ForeignKey(
        "settlements.Township", on_delete=models.CASCADE, related_name="+", verbose_name=_("乡镇")
    )
    settlement_class = models.PositiveSmallIntegerField(_("类别"), choices=SettlementClass.choices)
    stars = models.PositiveSmallIntegerField(_("星级"))
    count = models.PositiveIntegerField(_("数量"))

    class Meta:
        db_table = "ratings_roundstat"
        verbose_name = _("轮次统计（乡镇）")
        verbose_name_plural = _("轮次统计（乡镇）")
        constraints = [
            models.UniqueConstraint(
                fields=["round", "township", "settlement_class", "stars"], name="round_stat_unique"
            ),
            models.CheckConstraint(
                condition=Q(stars__in=[0, 3, 4, 5]), name="round_stat_stars_valid"
            ),
            models.CheckConstraint(condition=Q(count__gt=0), name="round_stat_count_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.round_id}/{self.township_id}/{self.settlement_class}/{self.stars}★"


class CountyRoundStat(models.Model):
    """The county's totals of RoundStat per round, class and star: the trend reads these."""

    round = models.ForeignKey(
        "ratings.Round", on_delete=models.CASCADE, related_name="+", verbose_name=_("轮次")
    )
    settlement_class = models.PositiveSmallIntegerField(_("类别"), choices=SettlementClass.choices)
    stars = models.PositiveSmallIntegerField(_("星级"))
    count = models.PositiveIntegerField(_("数量"))

    class Meta:
        db_table = "ratings_countyroundstat"
        verbose_name = _("轮次统计（全县）")
        verbose_name_plural = _("轮次统计（全县）")
        constraints = [
            models.UniqueConstraint(
                fields=["round", "settlement_class", "stars"], name="county_round_stat_unique"
            ),
            models.CheckConstraint(
                condition=Q(stars__in=[0, 3, 4, 5]), name="county_round_stat_stars_valid"
            ),
            models.CheckConstraint(
                condition=Q(count__gt=0), name="county_round_stat_count_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round_id}"


class AssessorRoundStat(models.Model):
    """Per round, township and assessor: effective ratings, Σ(county − self) and Σ(county − self)².

    Kept per township so that one rating taking effect recounts a few dozen rows, not an
    assessor's whole round.
    """

    round = models.ForeignKey(
        "ratings.Round", on_delete=models.CASCADE, related_name="+", verbose_name=_("轮次")
    )
    township = models.ForeignKey(
        "settlements.Township", on_delete=models.CASCADE, related_name="+", verbose_name=_("乡镇")
    )
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("考评人"),
    )
    reviews = models.PositiveIntegerField(_("考评数"))
    gap_sum = models.DecimalField(_("差值合计"), max_digits=14, decimal_places=1)
    gap_square_sum = models.DecimalField(_("差值平方合计"), max_digits=18, decimal_places=2)

    class Meta:
        db_table = "ratings_assessorroundstat"
        verbose_name = _("考评人偏差统计")
        verbose_name_plural = _("考评人偏差统计")
        constraints = [
            models.UniqueConstraint(
                fields=["round", "township", "assessor"], name="assessor_round_stat_unique"
            ),
            models.CheckConstraint(
                condition=Q(reviews__gt=0), name="assessor_round_stat_reviews_positive"
            ),
            models.CheckConstraint(
                condition=Q(gap_square_sum__gte=0), name="assessor_round_stat_squares"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round_id}/{self.assessor_id}"


class FiveStarTarget(models.Model):
    """The county's five-star target (SPEC §5): by ``deadline``, ``share`` of all settlements five-star."""

    scope = models.CharField(max_length=16, default="county", unique=True, editable=False)
    deadline = models.DateField(_("目标日期"), default=dt.date(2021, 6, 30))
    share = models.DecimalField(
        _("五星占比目标"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.40"),
        help_text=_("0 到 1 之间的小数，0.40 即 40%。"),
    )

    # The tables kept their names when the models moved here from ratings (data kept).
    # Optimistic lock: the version a form was opened at must still be stored when it is saved.
    version = models.PositiveIntegerField(_("版本"), default=0)

    history = HistoricalRecords(table_name="ratings_historicalfivestartarget")

    class Meta:
        db_table = "ratings_fivestartarget"
        verbose_name = _("五星目标")
        verbose_name_plural = _("五星目标")
        constraints = [
            models.CheckConstraint(
                condition=Q(share__gt=0, share__lte=1), name="five_star_target_share_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.deadline:%Y-%m-%d} · {self.share:.0%}"


class LeagueEntry(models.Model):
    """One settlement's place in its class for a round (同档比拼), with its place the round before.

    Built per round and class by dashboards.stats.league_build, queued on commit when the
    round's ratings change, so a league page reads one indexed slice instead of ranking ~10,000
    ratings twice per request.
    """

    round = models.ForeignKey(
        "ratings.Round", on_delete=models.CASCADE, related_name="+", verbose_name=_("轮次")
    )
    settlement_class = models.PositiveSmallIntegerField(_("类别"), choices=SettlementClass.choices)
    settlement = models.ForeignKey(
        Settlement, on_delete=models.CASCADE, related_name="+", verbose_name=_("聚居点")
    )
    township = models.ForeignKey(
        "settlements.Township", on_delete=models.CASCADE, related_name="+", verbose_name=_("乡镇")
    )
    stars = models.PositiveSmallIntegerField(_("星级"))
    score = models.DecimalField(_("得分"), **SCORE)
    rank = models.PositiveIntegerField(_("名次"))
    previous_rank = models.PositiveIntegerField(_("上轮名次"), null=True, blank=True)
    previous_stars = models.PositiveSmallIntegerField(_("上轮星级"), null=True, blank=True)

    class Meta:
        db_table = "ratings_leagueentry"
        verbose_name = _("同档排名")
        verbose_name_plural = _("同档排名")
        constraints = [
            models.UniqueConstraint(
                fields=["round", "settlement"], name="league_entry_one_per_round"
            ),
            models.CheckConstraint(condition=Q(rank__gte=1), name="league_entry_rank_positive"),
        ]
        indexes = [
            models.Index(
                fields=["round", "settlement_class", "rank", "settlement"], name="league_class_rank"
            ),
            models.Index(
                fields=["round", "township", "settlement_class", "rank", "settlement"],
                name="league_township_rank",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round_id}/{self.settlement_id}"


class LeagueBuild(models.Model):
    """A round × class whose LeagueEntry rows were built at ``built_at``.

    A stats recount marks it ``stale`` and queues the rebuild; the page keeps showing the
    stored rows (with when they were built) until then.
    """

    round = models.ForeignKey("ratings.Round", on_delete=models.CASCADE, related_name="+")
    settlement_class = models.PositiveSmallIntegerField(choices=SettlementClass.choices)
    built_at = models.DateTimeField(auto_now_add=True)
    stale = models.BooleanField(default=False)

    class Meta:
        db_table = "ratings_leaguebuild"
        verbose_name = _("同档排名生成记录")
        verbose_name_plural = _("同档排名生成记录")
        constraints = [
            models.UniqueConstraint(
                fields=["round", "settlement_class"], name="league_build_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round_id}"


class LiveCount(models.Model):
    """One scope's live figures (the county, or one township), as a task last counted them.

    dashboards.live.live_counts_refresh counts them: queued on commit of a submission, a
    review outcome or an order, and every minute by beat. Pages read these rows and say when
    they were counted; a reader's request never counts.
    """

    COUNTY = 0  # the county's row; a township's row has the township's id

    scope = models.PositiveBigIntegerField(_("范围"), primary_key=True)
    round = models.ForeignKey(
        "ratings.Round",
        on_delete=models.CASCADE,
        null=True,
        related_name="+",
        verbose_name=_("轮次"),
    )
    settlements = models.PositiveIntegerField(_("聚居点数"), default=0)
    five_star = models.PositiveIntegerField(_("五星数"), default=0)
    # The star each settlement holds now, counted per class: [[class, stars, n], ...].
    stars = models.JSONField(_("现有星级"), default=list)
    # The current round's self-assessments and ratings by status (dashboards.live keys).
    assessments = models.JSONField(_("自评与评定"), default=dict)
    rectifications_overdue = models.PositiveIntegerField(_("逾期整改"), default=0)
    counted_at = models.DateTimeField(_("统计时间"))

    class Meta:
        verbose_name = _("实时统计")
        verbose_name_plural = _("实时统计")

    def __str__(self) -> str:
        return str(self.scope)
