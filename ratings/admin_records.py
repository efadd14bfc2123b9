"""The workflow's records in the admin, read-only: the pages and services write them."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.admin import (
    ReadOnlyAdminMixin,
    ReadOnlyInline,
    ScopedAdminMixin,
    ScopedHistoryAdmin,
)
from settlements.admin_filters import class_filter, star_filter, township_filter
from settlements.http import acting_user
from settlements.permissions import sees_all_settlements
from settlements.selectors import scoped_by_settlement

from .admin_review_deadline import ReviewDeadlineAdminMixin
from .models import (
    Certificate,
    Evidence,
    Notice,
    Objection,
    Rating,
    Rectification,
    Review,
    ReviewItem,
    ReviewReopening,
    SelfAssessment,
    SelfAssessmentItem,
    StarChange,
)
from .selectors import (
    certificates_visible_to,
    evidence_visible_to,
    objections_visible_to,
    ratings_visible_to,
    rectifications_visible_to,
    self_assessments_visible_to,
)

# ------------------------------------------------------------------------- rubric


def _round_filters(prefix: str) -> tuple[str, ...]:
    return (f"{prefix}year", f"{prefix}quarter", f"{prefix}stage")


class SelfAssessmentItemInline(ReadOnlyInline):
    model = SelfAssessmentItem
    fields = ("item", "occurrences", "points", "note", "returned")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("item")


@admin.register(SelfAssessment)
class SelfAssessmentAdmin(ReviewDeadlineAdminMixin, ReadOnlyAdminMixin, ScopedHistoryAdmin):
    inlines = [SelfAssessmentItemInline]
    list_display = (
        "settlement",
        "township_name",
        "round",
        "settlement_class",
        "status",
        "score",
        "star_applied",
        "deadline",
        "submitted_at",
    )
    list_filter = (
        township_filter("settlement__village__township"),
        class_filter("settlement_class"),
        *_round_filters("round__"),
        "status",
    )
    search_fields = ("settlement__code", "settlement__name")

    def scoped_queryset(self, request: HttpRequest) -> QuerySet:
        return self_assessments_visible_to(request.user).select_related("submitted_by")

    @admin.display(description=_("乡镇"), ordering="settlement__village__township__name")
    def township_name(self, obj: SelfAssessment) -> str:
        return obj.settlement.village.township.name


class ReviewItemInline(ReadOnlyInline):
    model = ReviewItem
    fields = ("item", "occurrences", "points", "note", "gap_reason")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("item")


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdminMixin, ScopedHistoryAdmin):
    inlines = [ReviewItemInline]
    list_display = (
        "settlement",
        "township_name",
        "round",
        "assessor",
        "status",
        "score",
        "vetoed",
        "visit_date",
        "finalised_at",
    )
    list_filter = (
        township_filter("self_assessment__settlement__village__township"),
        class_filter("self_assessment__settlement_class"),
        *_round_filters("self_assessment__round__"),
        "status",
    )
    search_fields = ("self_assessment__settlement__code", "self_assessment__settlement__name")

    def scoped_queryset(self, request: HttpRequest) -> QuerySet:
        qs = Review.objects.select_related(
            "self_assessment__settlement__village__township", "self_assessment__round", "assessor"
        )
        return scoped_by_settlement(qs, request.user, "self_assessment__settlement")

    @admin.display(description=_("聚居点"), ordering="self_assessment__settlement__code")
    def settlement(self, obj: Review) -> str:
        return str(obj.self_assessment.settlement)

    @admin.display(description=_("乡镇"))
    def township_name(self, obj: Review) -> str:
        return obj.self_assessment.settlement.village.township.name

    @admin.display(description=_("轮次"))
    def round(self, obj: Review) -> str:
        return str(obj.self_assessment.round)


@admin.register(ReviewReopening)
class ReviewReopeningAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """Every reopening of a county review: the secretary's extensions, upheld objections."""

    list_display = ("settlement", "round", "kind", "open_until", "reason", "by", "at")
    list_filter = (township_filter("self_assessment__settlement__village__township"), "kind")
    search_fields = ("self_assessment__settlement__code", "self_assessment__settlement__name")

    def scoped_queryset(self, request: HttpRequest) -> QuerySet:
        qs = ReviewReopening.objects.select_related(
            "self_assessment__settlement__village__township", "self_assessment__round", "by"
        )
        return scoped_by_settlement(qs, request.user, "self_assessment__settlement")

    @admin.display(description=_("聚居点"), ordering="self_assessment__settlement__code")
    def settlement(self, obj: ReviewReopening) -> str:
        return str(obj.self_assessment.settlement)

    @admin.display(description=_("轮次"))
    def round(self, obj: ReviewReopening) -> str:
        return str(obj.self_assessment.round)


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdminMixin, ScopedHistoryAdmin):
    list_display = (
        "settlement",
        "township_name",
        "round",
        "stage",
        "settlement_class",
        "score",
        "vetoed",
        "awarded_stars",
        "stars",
        "status",
        "notice_ends_on",
        "effective_at",
    )
    list_filter = (
        township_filter("settlement__village__township"),
        class_filter("settlement_class"),
        "round__year",
        "round__quarter",
        "stage",
        "status",
        star_filter("stars"),
    )
    search_fields = ("settlement__code", "settlement__name")

    def scoped_queryset(self, request: HttpRequest) -> QuerySet:
        return ratings_visible_to(request.user).select_related("decided_by")

    @admin.display(description=_("乡镇"), ordering="settlement__village__township__name")
    def township_name(self, obj: Rating) -> str:
        return obj.settlement.village.township.name


@admin.register(StarChange)
class StarChangeAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("settlement", "kind", "from_stars", "to_stars", "reason", "by", "at")
    list_filter = (township_filter("settlement__village__township"), "kind")
    search_fields = ("settlement__code", "settlement__name")

    def scoped_queryset(self, request: HttpRequest) -> QuerySet:
        qs = StarChange.objects.select_related("settlement__village__township", "rating", "by")
        return scoped_by_settlement(qs, request.user)


@admin.register(Objection)
class ObjectionAdmin(ReadOnlyAdminMixin, ScopedHistoryAdmin):
    list_display = ("rating", "filed_by_name", "filed_at", "outcome", "heard_by", "decided_at")
    list_filter = (township_filter("rating__settlement__village__township"), "outcome")
    search_fields = ("rating__settlement__code", "rating__settlement__name", "filed_by_name")

    def scoped_queryset(self, request: HttpRequest) -> QuerySet:
        return objections_visible_to(request.user)


@admin.register(Rectification)
class RectificationAdmin(ReadOnlyAdminMixin, ScopedHistoryAdmin):
    list_display = (
        "settlement",
        "rating_round",
        "status",
        "deadline",
        "issued_at",
        "answered_at",
        "checked_at",
    )
    list_filter = (township_filter("settlement__village__township"), "status")
    search_fields = ("settlement__code", "settlement__name")

    def scoped_queryset(self, request: HttpRequest) -> QuerySet:
        return rectifications_visible_to(request.user)

    @admin.display(description=_("轮次"))
    def rating_round(self, obj: Rectification) -> str:
        return str(obj.rating.round)


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    # The file itself is served only by the permission-checked evidence view, never a media URL.
    list_display = (
        "settlement",
        "side",
        "original_name",
        "content_type",
        "size",
        "uploaded_by",
        "uploaded_at",
    )
    list_filter = (township_filter("settlement__village__township"), "side")
    search_fields = ("settlement__code", "settlement__name", "original_name")
    exclude = ("file",)

    def scoped_queryset(self, request: HttpRequest) -> QuerySet:
        return evidence_visible_to(request.user)


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = (
        "number",
        "settlement",
        "year",
        "stars",
        "issued_at",
        "revoked_at",
        "revoked_kind",
    )
    list_filter = (
        township_filter("settlement__village__township"),
        "year",
        "stars",
        "revoked_kind",
    )
    search_fields = ("number", "settlement__code", "settlement__name")
    # A voided certificate shows who voided it, when and why, and what replaced it.
    readonly_fields = (
        "reissued",
        "replaces",
        "revoked_at",
        "revoked_by",
        "revoked_kind",
        "revoked_reason",
    )

    def scoped_queryset(self, request: HttpRequest) -> QuerySet:
        return certificates_visible_to(request.user)


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("user", "text", "created_at", "read_at")
    list_filter = ("read_at",)
    search_fields = ("text", "user__username", "user__display_name")

    def scoped_queryset(self, request: HttpRequest) -> QuerySet:
        qs = Notice.objects.select_related("user")
        if sees_all_settlements(request.user):
            return qs
        return qs.filter(user=acting_user(request))
