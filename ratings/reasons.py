"""Reasons the system writes itself (a rectification's trigger, a star change's reason).

They are stored as codes with their data, never as sentences in the language of whoever
happened to click: ``StarChange.system_text`` and ``Rectification.system_text`` map a
field name to a list of ``{"code": …, "params": {…}}``. The page translates them when it
shows them (template filter ``shown``), in the reader's language. The text field itself
(``reason``, ``trigger``, ``requirements``) keeps the Chinese wording, for the admin and
for search; human-written text has no entry and is shown as written.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

Entry = dict[str, Any]
SystemText = dict[str, list[Entry]]


class Reason(enum.StrEnum):
    """Stable codes: stored in the database, never rename one."""

    RATED = "rated"
    RATED_VETO = "rated_veto"
    # The notice's end is pending: a year it runs into has no holiday calendar yet.
    RATED_PENDING = "rated_pending"
    RATED_VETO_PENDING = "rated_veto_pending"
    EFFECTIVE = "effective"
    OBJECTION_UPHELD = "objection_upheld"
    RECTIFICATION_CHECK = "rectification_check"
    SCORE_BELOW_PREVIOUS = "score_below_previous"
    FLAGGED_ITEMS = "flagged_items"
    # Written by the demo as a county assessor would: short forms and the usual wording.
    VETO_TRIGGERED = "veto_triggered"
    LOWER_THAN_LAST = "lower_than_last"
    PROBLEMS_FOUND = "problems_found"
    RECTIFY_DEDUCTED_ITEMS = "rectify_deducted_items"


# The Chinese msgids; gettext_noop marks them for makemessages, ``render`` translates.
MESSAGES: dict[Reason, str] = {
    Reason.RATED: gettext_noop("县级考评 %(score)s 分，公示至 %(date)s。"),
    Reason.RATED_VETO: gettext_noop("县级考评 %(score)s 分（触发一票否决），公示至 %(date)s。"),
    Reason.RATED_PENDING: gettext_noop(
        "县级考评 %(score)s 分，公示截止日期待定（节假日安排尚未录入）。"
    ),
    Reason.RATED_VETO_PENDING: gettext_noop(
        "县级考评 %(score)s 分（触发一票否决），公示截止日期待定（节假日安排尚未录入）。"
    ),
    Reason.EFFECTIVE: gettext_noop("公示期满（%(date)s）无异议或异议不成立，评定生效。"),
    Reason.OBJECTION_UPHELD: gettext_noop("异议成立，评定撤销，县考评组重新考评：%(reasons)s"),
    Reason.RECTIFICATION_CHECK: gettext_noop("整改复查：%(notes)s"),
    Reason.SCORE_BELOW_PREVIOUS: gettext_noop(
        "县级考评得分 %(score)s 分，低于上次评定（%(round)s）的 %(previous)s 分。"
    ),
    Reason.FLAGGED_ITEMS: gettext_noop("重点关注条目被扣分或触发：%(items)s。"),
    Reason.VETO_TRIGGERED: gettext_noop("触发一票否决"),
    Reason.LOWER_THAN_LAST: gettext_noop("县级得分低于上次评定"),
    Reason.PROBLEMS_FOUND: gettext_noop("县级考评发现问题，需限期整改。"),
    Reason.RECTIFY_DEDUCTED_ITEMS: gettext_noop("对照扣分条目逐项整改，整改期满前上传整改佐证。"),
}


def entry(code: Reason, **params: Any) -> Entry:
    """One reason, its data kept as plain JSON values (scores and dates as text)."""

    def plain(value: Any) -> Any:
        if isinstance(value, bool | int):
            return value
        if isinstance(value, list | tuple):
            return [str(v) for v in value]
        return str(value)

    return {"code": str(code), "params": {key: plain(value) for key, value in params.items()}}


def _round_label(params: Mapping[str, Any]) -> str:
    from ratings.models import Round

    return str(
        Round(
            year=params["round_year"], quarter=params["round_quarter"], stage=params["round_stage"]
        )
    )


def _render_one(item: Mapping[str, Any]) -> str:
    try:
        code = Reason(item["code"])
    except (KeyError, ValueError):
        return ""
    params = dict(item.get("params") or {})
    if code == Reason.SCORE_BELOW_PREVIOUS:
        params["round"] = _round_label(params)
    if code == Reason.FLAGGED_ITEMS:
        params["items"] = _("；").join(params.get("items_list") or [])
    return _(MESSAGES[code]) % params


def render(entries: Iterable[Mapping[str, Any]]) -> str:
    """The reasons in the active language, one per line."""
    return "\n".join(text for text in (_render_one(item) for item in entries) if text)


def render_chinese(entries: Iterable[Mapping[str, Any]]) -> str:
    """The stored wording: Chinese whoever acted, so the record does not depend on a click."""
    with translation.override("zh-hans"):
        return render(list(entries))


def shown(obj: Any, field: str) -> str:
    """What a page shows for ``obj.<field>``: the system's reason translated, else the text as written."""
    system: SystemText = getattr(obj, "system_text", None) or {}
    if system.get(field):
        return render(system[field])
    return getattr(obj, field) or ""


def stored(field: str, *entries: Entry) -> dict[str, Any]:
    """Model keyword arguments for a system-written ``field``: the Chinese text and its codes."""
    return {field: render_chinese(entries), "system_text": {field: list(entries)}}
