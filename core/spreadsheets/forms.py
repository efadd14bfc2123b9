"""The upload form of a page that imports a spreadsheet (outside the admin).

It refuses oversized or empty files before anything is read; reading is
core.spreadsheets.reading.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .reading import SpreadsheetError, check_size, format_bytes


class SpreadsheetUploadForm(forms.Form):
    file = forms.FileField(label=_("要导入的文件"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "xlsx 工作簿，或 UTF-8（可带 BOM）/ GBK 编码的 CSV，不超过 %(limit)s。第 1 行为表头。"
        ) % {"limit": format_bytes(settings.IMPORT_MAX_BYTES)}

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        try:
            check_size(upload.size)
        except SpreadsheetError as exc:
            raise ValidationError(exc.messages) from exc
        return upload
