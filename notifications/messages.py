"""The words of each notification, written when shown (the reader's language) or mailed."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from . import rules


def text(kind: str, params: dict[str, Any]) -> str:
    p = dict(params)
    if "import_kind" in p:
        p["title"] = _import_title(p["import_kind"])
    if "stars" in p:
        p["stars"] = _star_words(p["stars"])
    if "outcome" in p:
        p["outcome"] = _outcome_words(kind, p["outcome"])
    templates = {
        rules.SENT_BACK: _(
            "%(settlement)s（%(round)s）的自评被县考评组退回修改，请于 %(deadline)s 前重新提交。"
        ),
        rules.RECTIFICATION_ORDERED: _("%(settlement)s 被下达限期整改，整改期限 %(deadline)s。"),
        rules.RECTIFICATION_DUE: _(
            "%(settlement)s 的限期整改将于 %(deadline)s 到期（还剩 %(days)s 天），请及时提交整改情况。"
        ),
        rules.RECTIFICATION_CHECKED: _("%(settlement)s 的限期整改已复查：%(outcome)s。"),
        rules.DEADLINE_APPROACHING: _(
            "%(settlement)s（%(round)s）的自评将于 %(deadline)s 截止（还剩 %(days)s 天），尚未提交。"
        ),
        rules.OBJECTION_FILED: _(
            "%(settlement)s 的评定（%(round)s）收到异议，请由未参与现场考评的考评人员处理。"
        ),
        rules.OBJECTION_DECIDED: _(
            "%(settlement)s 的评定（%(round)s）所收异议已处理：%(outcome)s。"
        ),
        rules.RATING_EFFECTIVE: _("%(settlement)s 的评定（%(round)s）公示期满已生效：%(stars)s。"),
        rules.REWARD_APPROVED: _("%(settlement)s 的奖励 %(voucher)s（%(amount)s 元）已审批。"),
        rules.REWARD_PAID: _("%(settlement)s 的奖励 %(voucher)s（%(amount)s 元）已发放。"),
        rules.IMPORT_PREVIEWED: _(
            "%(title)s导入“%(file)s”已检查完毕：新增 %(new)s 条，更新 %(changed)s 条，"
            "未变化 %(unchanged)s 条。请打开导入页面确认后写入。"
        ),
        rules.IMPORT_APPLIED: _(
            "%(title)s导入“%(file)s”已完成：新增 %(new)s 条，更新 %(changed)s 条。"
        ),
        rules.IMPORT_FAILED: _import_failure(p),
    }
    template = templates.get(kind)
    if template is None:
        return kind
    try:
        return template % p
    except (KeyError, TypeError, ValueError):
        return template.split("%(", 1)[0] or kind


def title(kind: str) -> str:
    from .models import Kind

    try:
        return str(Kind(kind).label)
    except ValueError:
        return kind


def _star_words(stars: Any) -> str:
    words = {0: _("无星级"), 3: _("三星"), 4: _("四星"), 5: _("五星")}
    return str(words.get(stars, stars))


def _outcome_words(kind: str, code: Any) -> str:
    from ratings.models import ObjectionOutcome, RectificationStatus

    choices = RectificationStatus if kind == rules.RECTIFICATION_CHECKED else ObjectionOutcome
    try:
        return str(choices(code).label)
    except ValueError:
        return str(code)


def _import_title(kind: Any) -> str:
    from core.imports.base import importer_for

    importer = importer_for(str(kind))
    return str(importer.title) if importer is not None else str(kind)


def _import_failure(p: dict[str, Any]) -> str:
    if p.get("status") == "failed":
        return _("%(title)s导入“%(file)s”出错，没有写入任何数据。请稍后重试或联系管理员。")
    if p.get("refused"):
        return _(
            "%(title)s导入“%(file)s”有 %(refused)s 行未通过检查，没有写入任何数据。"
            "请下载未通过的行，修改后重新上传。"
        )
    return _("%(title)s导入“%(file)s”未通过检查，没有写入任何数据，原因见导入页面。")
