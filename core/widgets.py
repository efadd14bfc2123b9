"""Form widgets and fields the lists need at national scale."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from typing import Any

from django import forms
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeData, SafeString, mark_safe


@lru_cache(maxsize=64)
def _options(pairs: tuple[tuple[str, str], ...]) -> tuple[str, frozenset[str]]:
    """The <option>s of (value, label) pairs, none selected, and the values: the same filter
    (700 townships) is written once per process, not escaped again on every page."""
    html_ = "".join(
        f'<option value="{html.escape(v)}">{html.escape(label)}</option>' for v, label in pairs
    )
    return html_, frozenset(v for v, _label in pairs)


@lru_cache(maxsize=16)
def _row_pairs(rows: tuple[tuple[Any, Any], ...], empty_label: str | None) -> Any:
    """(value, label) strings of (pk, label) rows kept as one tuple (a cached filter's rows):
    converted once per process, not 700 ``str()`` calls a page."""
    head = () if empty_label is None else (("", empty_label),)
    return head + tuple(("" if pk is None else str(pk), str(label)) for pk, label in rows)


def _plain_pairs(choices: Any) -> tuple[tuple[str, str], ...] | None:
    """(value, label) strings of flat choices; None when there are option groups or labels
    already marked safe (``forms.Select`` writes those)."""
    pairs = []
    for option_value, label in choices:
        if isinstance(label, list | tuple | SafeData):
            return None
        pairs.append(("" if option_value is None else str(option_value), str(label)))
    return tuple(pairs)


class QuickSelect(forms.Select):
    """A <select> whose options are written in Python, not one template each.

    Django renders every <option> through a template; a township filter over a
    national list (700 townships) cost about 50 ms a page that way, and ``format_html``
    per option still 4-8 ms. The options of the same choices are written once per process
    (``_options``) and the chosen one marked in the text. The markup is the same as
    ``forms.Select``'s: the attributes the form gives (id, required, data-*), the selected
    option marked. Option groups and labels already marked safe fall back to
    ``forms.Select``.
    """

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        choices: Any = self.choices
        rows = choices.kept_rows() if isinstance(choices, _LabelColumnIterator) else None
        if rows is not None:
            empty = choices.field.empty_label
            pairs = _row_pairs(rows, None if empty is None else str(empty))
        else:
            pairs = _plain_pairs(self.choices)
            if pairs is None:
                return super().render(name, value, attrs, renderer)
        options, keys = _options(pairs)
        for key in (str(v) for v in self.format_value(value)):
            if key in keys:  # the first option with a chosen value, as Django marks it
                plain = f'<option value="{html.escape(key)}">'
                options = options.replace(plain, plain[:-1] + " selected>", 1)
                break
        final = self.build_attrs(self.attrs, attrs)
        # Every label and value went through html.escape in _options.
        safe_options = mark_safe(options)  # noqa: S308
        return format_html('<select name="{}"{}>{}</select>', name, flatatt(final), safe_options)


class QuickInput(forms.TextInput):
    """A text input written with ``format_html``, not a template: the same markup as
    ``forms.TextInput`` (a list's search box renders on every page of the list)."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)
        shown = self.format_value(value)
        if shown is not None:
            final = {"value": shown, **final}
        return format_html(
            '<input type="{}" name="{}"{}>',
            final.pop("type", self.input_type),
            name,
            flatatt(final),
        )


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

    def kept_rows(self) -> tuple[tuple[Any, Any], ...] | None:
        """The field's rows when they are one kept tuple (``option_rows``), else None."""
        rows = self.field.rows()
        return rows if isinstance(rows, tuple) else None

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
    option_rows: Callable[[], Sequence[tuple[Any, Any]]] | None = None

    def __init__(self, *args: Any, label_column: str, **kwargs: Any) -> None:
        self.label_column = label_column
        super().__init__(*args, **kwargs)

    def rows(self) -> Sequence[tuple[Any, Any]] | None:
        return None if self.option_rows is None else self.option_rows()
