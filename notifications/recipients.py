"""Who hears about what: the township's officials, the county's assessors, named people."""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import reverse

from core.imports.selectors import job_token
from core.models import ImportJob
from settlements.models import User
from settlements.roles import ASSESSOR, OFFICIAL


def officials_of(township_id: int) -> QuerySet[User]:
    return User.objects.filter(
        groups__name=OFFICIAL, township_id=township_id, is_active=True
    ).distinct()


def assessors() -> QuerySet[User]:
    return User.objects.filter(groups__name=ASSESSOR, is_active=True).distinct()


def users(*ids: int | None) -> QuerySet[User]:
    return User.objects.filter(pk__in=[i for i in ids if i], is_active=True)


def self_assessment_link(pk: int) -> str:
    return reverse("ratings:self_assessment", args=[pk])


def rectification_link(pk: int) -> str:
    return reverse("ratings:rectification", args=[pk])


def rating_link(pk: int) -> str:
    return reverse("ratings:rating", args=[pk])


def rewards_link(settlement_id: int) -> str:
    return reverse("rewards:settlement", args=[settlement_id])


def import_job_link(job: ImportJob) -> str:
    return reverse("imports:job", args=[job_token(job)])
