"""The plan a preview stores and the apply writes: every row's action, its checked values
and the fingerprint of the record it would change (core.imports.services).

The plan is JSON bound to its job (id, kind, format version) and signed with the site's
secret (its first line, HMAC-SHA256): the apply writes only what this job's preview
checked, never the upload read again, and never a plan edited, truncated or swapped in
the media storage — such a plan is refused (``PlanUnusable``, codes ``plan_missing`` and
``plan_invalid``) and nothing is written.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import cache, partial
from typing import Any

from django.core.files.base import ContentFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext

from core.models import ImportJob

PLAN_VERSION = 2  # a plan written by another version of this code is not applied
_SALT = "core.imports.plan"


class PlanUnusable(Exception):  # noqa: N818 - a refusal with a stable code
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _signature(text: str) -> str:
    return salted_hmac(_SALT, text, algorithm="sha256").hexdigest()


def plan_save(job: ImportJob, *, fields: list[str], rows: list[list[Any]]) -> None:
    """Store ``rows`` ([row number, key, action, fingerprint, values]) as ``job``'s plan
    (``job.plan`` is set, not saved)."""
    text = json.dumps(
        {"version": PLAN_VERSION, "job": job.pk, "kind": job.kind, "fields": fields, "rows": rows},
        cls=DjangoJSONEncoder,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    data = f"{_signature(text)}\n{text}".encode()
    job.plan.save(f"{uuid.uuid4().hex}.json", ContentFile(data), save=False)


def plan_load(job: ImportJob) -> dict[str, Any]:
    """``job``'s plan as its preview stored it, or ``PlanUnusable``."""
    missing = PlanUnusable(
        "plan_missing",
        gettext("预览结果已不存在（可能已过期被清理），没有写入任何数据。请重新上传文件。"),
    )
    if not job.plan:
        raise missing
    try:
        with job.plan.open("rb") as stream:
            data = stream.read()
    except OSError as exc:
        raise missing from exc
    invalid = PlanUnusable(
        "plan_invalid", gettext("预览结果已损坏或被改动，没有写入任何数据。请重新上传文件。")
    )
    signature, _newline, body = data.partition(b"\n")
    try:
        text = body.decode()
        if not constant_time_compare(signature.decode(), _signature(text)):
            raise invalid
        plan = json.loads(text)
    except (UnicodeDecodeError, ValueError) as exc:
        raise invalid from exc
    if not isinstance(plan, dict) or (plan.get("version"), plan.get("job"), plan.get("kind")) != (
        PLAN_VERSION,
        job.pk,
        job.kind,
    ):
        raise invalid
    return plan


# ------------------------------------------------------------------- values, typed again

# Fields whose JSON value is already the field's value.
_AS_STORED = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.ForeignKey,
)


def plan_typing(
    model: type[models.Model], fields: list[str]
) -> list[tuple[str, Callable[[Any], Any]]]:
    """How to turn the plan's JSON values back into the fields' Python values (for
    ``plan_typed``): Decimal and date are stored as text; str, int, bool and None need
    nothing; anything else goes through the field's ``to_python``."""
    by_attname = _fields_by_attname(model)
    typing: list[tuple[str, Callable[[Any], Any]]] = []
    for name in fields:
        field = by_attname[name]
        if isinstance(field, _AS_STORED):
            continue
        if isinstance(field, models.DecimalField):
            typing.append((name, Decimal))
        elif isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField):
            typing.append((name, partial(_date, field)))
        else:
            typing.append((name, field.to_python))
    return typing


def plan_typed(
    values: dict[str, Any], typing: list[tuple[str, Callable[[Any], Any]]]
) -> dict[str, Any]:
    typed = dict(values)
    for name, to_value in typing:
        value = typed.get(name)
        if value is not None:
            typed[name] = to_value(value)
    return typed


def _date(field: Any, value: Any) -> Any:
    try:
        return date.fromisoformat(value)  # what DjangoJSONEncoder wrote: 2019-06-30
    except (TypeError, ValueError):
        return field.to_python(value)


@cache
def _fields_by_attname(model: type[models.Model]) -> dict[str, Any]:
    return {f.attname: f for f in model._meta.concrete_fields}
