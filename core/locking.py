"""Optimistic locking for records people edit in the admin or on a page.

A form carries the ``version`` it was opened at (a hidden field). The save locks the row
(``select_for_update``, inside the caller's transaction), compares, and refuses a stale
form with ``EditConflict``: nothing is saved and the person's input is shown again.
A saved edit moves the version on by one. The code values are stable; tests assert them.
"""

from __future__ import annotations

import enum
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

STALE_MESSAGE = _("该记录已被他人修改，请刷新后重试（您的修改未保存）。")
M = TypeVar("M", bound=models.Model)

BAD_VERSION_MESSAGE = _(
    "表单已失效（缺少或无效的版本号），请刷新页面后重新填写（您的修改未保存）。"
)


class Conflict(enum.StrEnum):
    """Why an edit was refused. The values are stable: never rename one."""

    # The same value as ratings.codes.Refusal.STALE_VERSION: one word for one refusal.
    STALE_VERSION = "stale_version"
    BAD_VERSION = "bad_version"


class EditConflict(ValidationError):
    """Someone saved the record since the form was opened; nothing was saved."""

    def __init__(
        self, message: Any = STALE_MESSAGE, *, code: Conflict = Conflict.STALE_VERSION
    ) -> None:
        super().__init__(message, code=code)
        self.code = code


def parse_version(raw: Any) -> int:
    """The version a form was opened at; a missing or tampered value is refused."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    else:
        text = str(raw or "").strip()
        if not text.isdigit() or len(text) > 12:
            raise EditConflict(BAD_VERSION_MESSAGE, code=Conflict.BAD_VERSION)
        value = int(text)
    if value < 0:
        raise EditConflict(BAD_VERSION_MESSAGE, code=Conflict.BAD_VERSION)
    return value


def lock_current(model: type[M], pk: Any, expected: Any, *, field: str = "version") -> M:
    """The stored row, locked for the rest of the transaction, if still at ``expected``.

    ``expected`` None skips the comparison (a service called by code, not by a form).
    """
    row = model._default_manager.select_for_update().get(pk=pk)
    if expected is not None and getattr(row, field) != parse_version(expected):
        raise EditConflict()
    return row


def check_current(
    model: type[models.Model], pk: Any, expected: Any, *, field: str = "version"
) -> int:
    """Lock the row and check its version; return the version the save must write."""
    stored = (
        model._default_manager.select_for_update()
        .filter(pk=pk)
        .values_list(field, flat=True)
        .first()
    )
    if stored is None or stored != parse_version(expected):
        raise EditConflict()
    return stored + 1


def version_field() -> Any:
    """The hidden field a form carries its version in. Text, so that a tampered value is
    refused with a message on the form (``parse_version``) rather than on a hidden field."""
    from django import forms

    return forms.CharField(widget=forms.HiddenInput, required=False)
