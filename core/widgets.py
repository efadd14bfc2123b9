"""Form widgets and fields the lists need at national scale."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

from django import forms
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeData, SafeString, mark_safe


def _text(value: Any) -> str:
    """What Django's ``conditional_escape`` writes, without its per-call overhead."""
    return str(value) if isinstance(value, SafeData) else html.escape(str(value))


class QuickSelect(forms.Select):
    """A <select> whose options are written in Python, not one template each.

    Django renders every <option> through a template; a township filter over a
    national list (700 townships) cost about 50 ms a page that way, and ``format_html``
    per option still 4-8 ms. The markup is the same as ``forms.Select``'s: the
    attributes the form gives (id, required, data-*), the selected option marked.
    Option groups fall back to ``forms.Select``.
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
            rows.append(
                f'<option value="{_text(key)}"{" selected" if selected else ""}>'
                f"{_text(label)}</option>"
            )
        final = self.build_attrs(self.attrs, attrs)
        # Every label and value above went through _text.
        options = mark_safe("".join(rows))  # noqa: S308
        return format_html('<select name="{}"{}>{}</select>', name, flatatt(final), options)


class _LabelColumnIterator(ModelChoiceIterator):
    """(pk, label) straight from one column: no model instance per option."""

    field: QuickModelChoiceField

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        yield from self.queryset.values_list("pk", self.field.label_column)

    def __len__(self) -> int:
        return self.queryset.count() + (1 if self.field.empty_label is not None else 0)


class QuickModelChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField whose options read ``label_column`` as their label.

    For long filter lists (700 townships) whose model's ``__str__`` is that one column:
    ``values_list`` instead of a model instance per option (about 4 ms a page). Cleaning
    a submitted value still loads the one chosen instance.
    """

    iterator = _LabelColumnIterator
    widget = QuickSelect

    def __init__(self, *args: Any, label_column: str, **kwargs: Any) -> None:
        self.label_column = label_column
        super().__init__(*args, **kwargs)
