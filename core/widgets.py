"""Form widgets and fields the lists need at national scale."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from django import forms
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeData, SafeString, mark_safe


@lru_cache(maxsize=64)
def _options_html(pairs: tuple[tuple[str, str], ...]) -> str:
    """The <option>s of (value, label) pairs, none selected: the same filter (700 townships)
    is written once per process, not escaped again on every page."""
    return "".join(
        f'<option value="{html.escape(v)}">{html.escape(label)}</option>' for v, label in pairs
    )


class QuickSelect(forms.Select):
    """A <select> whose options are written in Python, not one template each.

    Django renders every <option> through a template; a township filter over a
    national list (700 townships) cost about 50 ms a page that way, and ``format_html``
    per option still 4-8 ms. The options of the same choices are written once per process
    (``_options_html``) and the chosen one marked in the text. The markup is the same as
    ``forms.Select``'s: the attributes the form gives (id, required, data-*), the selected
    option marked. Option groups and labels already marked safe fall back to
    ``forms.Select``.
    """

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        pairs = []
        for option_value, label in self.choices:
            if isinstance(label, list | tuple | SafeData):
                return super().render(name, value, attrs, renderer)
            pairs.append(("" if option_value is None else str(option_value), str(label)))
        options = _options_html(tuple(pairs))
        chosen = [str(v) for v in self.format_value(value)]
        keys = {key for key, _label in pairs}
        for key in chosen:
            if key in keys:  # the first option with a chosen value, as Django marks it
                plain = f'<option value="{html.escape(key)}">'
                options = options.replace(plain, plain[:-1] + " selected>", 1)
                break
        final = self.build_attrs(self.attrs, attrs)
        # Every label and value went through html.escape in _options_html.
        safe_options = mark_safe(options)  # noqa: S308
        return format_html('<select name="{}"{}>{}</select>', name, flatatt(final), safe_options)


class _LabelColumnIterator(ModelChoiceIterator):
    """(pk, label) straight from one column: no model instance per option."""

    field: QuickModelChoiceField

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        rows = self.field.rows()
        yield from (
            self.queryset.values_list("pk", self.field.label_column) if rows is None else rows
        )

    def __len__(self) -> int:
        rows = self.field.rows()
        count = self.queryset.count() if rows is None else len(rows)
        return count + (1 if self.field.empty_label is not None else 0)


class QuickModelChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField whose options read ``label_column`` as their label.

    For long filter lists (700 townships) whose model's ``__str__`` is that one column:
    ``values_list`` instead of a model instance per option (about 4 ms a page), or the
    ``option_rows`` given. Cleaning a submitted value still loads the one chosen instance.
    """

    iterator = _LabelColumnIterator
    widget = QuickSelect
    # A function giving the (pk, label) rows to show instead of reading the queryset (e.g.
    # from a cache), called only when the options are rendered; a submitted value is still
    # checked against the queryset.
    option_rows: Callable[[], list[tuple[Any, Any]]] | None = None

    def __init__(self, *args: Any, label_column: str, **kwargs: Any) -> None:
        self.label_column = label_column
        super().__init__(*args, **kwargs)

    def rows(self) -> list[tuple[Any, Any]] | None:
        return None if self.option_rows is None else self.option_rows()
