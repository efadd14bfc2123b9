"""Form widgets the lists need at national scale."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe


class QuickSelect(forms.Select):
    """A <select> whose options are written in Python, not one template each.

    Django renders every <option> through a template; a township filter over a
    national list (700 townships) cost about 50 ms a page that way. The markup is the
    same as ``forms.Select``'s: the attributes the form gives (id, required, data-*),
    the selected option marked. Option groups fall back to ``forms.Select``.
    """

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        chosen = {str(v) for v in self.format_value(value)}
        rows = []
        found = False
        for option_value, label in self.choices:
            if isinstance(label, list | tuple):
                return super().render(name, value, attrs, renderer)
            key = "" if option_value is None else str(option_value)
            selected = not found and key in chosen
            found = found or selected
            rows.append((key, mark_safe(" selected") if selected else "", label))
        options = format_html_join("", '<option value="{}"{}>{}</option>', rows)
        final = self.build_attrs(self.attrs, attrs)
        return format_html('<select name="{}"{}>{}</select>', name, flatatt(final), options)
