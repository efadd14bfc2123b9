"""Cell widgets for imports: text, counts, decimals, Chinese dates, choices by label, 是/否."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from import_export import widgets

from .export import unneutralise

# --------------------------------------------------------------------------- widgets

REQUIRED = _("不能为空。")


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if type(value) is str and not value.startswith("'"):
        return value.strip()  # most cells: text without the export's apostrophe
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a code typed as a number in Excel: 1001.0 → "1001"
    # The export's neutralising apostrophe ('=1+1) is not part of the text.
    return unneutralise(str(value).strip())


class TextWidget(widgets.Widget):
    def __init__(self, *, required: bool = True) -> None:
        super().__init__(coerce_to_string=True)
        self.required = required

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        text = cell_text(value)
        if self.required and not text:
            raise ValueError(REQUIRED)
        return text

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return "" if value is None else str(value)


class CountWidget(widgets.Widget):
    """A non-negative whole number (户数, 人口数 …); 12.5 or -1 is an error, not rounded."""

    def __init__(self, *, required: bool = True) -> None:
        super().__init__(coerce_to_string=True)
        self.required = required

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> int | None:
        if type(value) is int and value >= 0:
            return value  # most cells: a whole number as the sheet stores it
        text = cell_text(value)
        if not text:
            if self.required:
                raise ValueError(REQUIRED)
            return None
        try:
            number = Decimal(text.replace(",", ""))
        except InvalidOperation as exc:
            raise ValueError(gettext("“%(value)s”不是整数。") % {"value": text}) from exc
        if number != number.to_integral_value() or number < 0:
            raise ValueError(gettext("“%(value)s”应为不小于 0 的整数。") % {"value": text})
        return int(number)

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        if kwargs.get("force_native_type"):
            return value
        return "" if value is None else str(value)


class DecimalNumberWidget(widgets.Widget):
    def __init__(self, *, required: bool = True) -> None:
        super().__init__(coerce_to_string=True)
        self.required = required

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Decimal | None:
        if isinstance(value, float):
            value = repr(value)  # 0.1 stays 0.1, not 0.1000000000000000055…
        text = cell_text(value)
        if not text:
            if self.required:
                raise ValueError(REQUIRED)
            return None
        try:
            number = Decimal(text.replace(",", ""))
        except InvalidOperation as exc:
            raise ValueError(gettext("“%(value)s”不是数字。") % {"value": text}) from exc
        if not number.is_finite():
            raise ValueError(gettext("“%(value)s”不是数字。") % {"value": text})
        return number

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        if kwargs.get("force_native_type"):
            return value
        return "" if value is None else str(value)


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")


class ChineseDateWidget(widgets.Widget):
    """Dates as Excel cells or typed as 2019-06-30, 2019/6/30, 2019年6月30日."""

    def __init__(self, *, required: bool = False) -> None:
        super().__init__(coerce_to_string=True)
        self.required = required

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> date | None:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = cell_text(value)
        if not text:
            if self.required:
                raise ValueError(REQUIRED)
            return None
        if len(text) == 10 and text[4] == "-" and text[7] == "-":
            try:
                return date.fromisoformat(text)  # 2019-06-30, the export's own form: no strptime
            except ValueError:
                pass
        for fmt in DATE_FORMATS:
            try:
                return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no time
            except ValueError:
                continue
        raise ValueError(gettext("“%(value)s”不是日期，请写成 2019-06-30。") % {"value": text})

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        if kwargs.get("force_native_type"):
            return value
        return value.isoformat() if value else ""


class ChoiceLabelWidget(widgets.Widget):
    """A choice imported and exported by its Chinese label (the stored code is accepted too)."""

    def __init__(self, choices: Any, *, blank: str | None = None) -> None:
        super().__init__(coerce_to_string=True)
        self.choices = list(choices)
        self.blank = blank
        self._by_language: dict[str | None, dict[str, Any]] = {}

    def _codes(self) -> dict[str, Any]:
        """Label or code → code, in the current language (built once per language, not per cell)."""
        language = get_language()
        codes = self._by_language.get(language)
        if codes is None:
            codes = {}
            for code, label in reversed(self.choices):  # the first match wins, as before
                codes[str(code)] = code
                codes[str(label)] = code
            self._by_language[language] = codes
        return codes

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        text = cell_text(value)
        if not text:
            if self.blank is not None:
                return self.blank
            raise ValueError(REQUIRED)
        code = self._codes().get(text)
        if code is not None:
            return code
        allowed = "、".join(str(label) for _code, label in self.choices)
        raise ValueError(
            gettext("“%(value)s”不是可选值（可选：%(allowed)s）。")
            % {"value": text, "allowed": allowed}
        )

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        for code, label in self.choices:
            if code == value:
                return str(label)
        return "" if value is None else str(value)


class YesNoWidget(widgets.Widget):
    YES = ("是", "Y", "YES", "TRUE", "1", "√")
    NO = ("否", "N", "NO", "FALSE", "0", "")

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> bool:
        if isinstance(value, bool):
            return value
        text = cell_text(value).upper()
        if text in self.YES:
            return True
        if text in self.NO:
            return False
        raise ValueError(gettext("“%(value)s”应填“是”或“否”。") % {"value": cell_text(value)})

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return "是" if value else "否"


class ListWidget(widgets.Widget):
    """Export-only: a list of labels joined in one cell."""

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return "；".join(str(v) for v in value or [])
