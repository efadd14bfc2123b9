"""Read a rendered HTML form and post it back as a browser would.

``parse_form(html)`` finds the page's POST form and returns every control it renders:
inputs (text, hidden, number, date, checkbox, radio, file…), selects and textareas, with
their current values. ``Form.data()`` is what a browser sends for it: checked boxes
only, a select's selected option (or its first), nothing for disabled controls, no file
inputs, no buttons. Tests change values by name and post ``data()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

TEXT_TYPES = {
    "text",
    "hidden",
    "number",
    "date",
    "email",
    "tel",
    "url",
    "password",
    "search",
    "datetime-local",
    "time",
}


@dataclass
class Control:
    name: str
    kind: str  # an input type, "select", "select-multiple" or "textarea"
    value: Any = ""  # str; list[str] for select-multiple
    checked: bool = False
    options: list[str] = field(default_factory=list)
    disabled: bool = False

    @property
    def hidden(self) -> bool:
        return self.kind == "hidden"


@dataclass
class Form:
    action: str
    method: str
    attrs: dict[str, str]
    controls: list[Control] = field(default_factory=list)

    def named(self, name: str) -> list[Control]:
        return [c for c in self.controls if c.name == name]

    def names(self) -> set[str]:
        return {c.name for c in self.controls}

    def visible_names(self) -> set[str]:
        """The controls a person sees and can change (not hidden, disabled, file or button)."""
        return {
            c.name
            for c in self.controls
            if not c.hidden
            and not c.disabled
            and c.kind not in ("file", "submit", "button", "reset", "image")
            and "__prefix__" not in c.name  # an inline's blank template, ignored by the server
        }

    def data(self) -> dict[str, Any]:
        """What a browser posts for the form as it stands (multi-valued names as lists)."""
        out: dict[str, list[str]] = {}
        for c in self.controls:
            if c.disabled or c.kind in ("file", "submit", "button", "reset", "image"):
                continue
            if c.kind in ("checkbox", "radio"):
                if c.checked:
                    out.setdefault(c.name, []).append(c.value or "on")
            elif c.kind == "select-multiple":
                out.setdefault(c.name, []).extend(c.value)
            else:
                out.setdefault(c.name, []).append(c.value)
        return {k: v[0] if len(v) == 1 else v for k, v in out.items()}

    def set(self, name: str, value: Any) -> None:
        """Type, pick or tick as a person would: a bool ticks a checkbox, a list picks
        several options, a value of a radio group checks that radio."""
        controls = self.named(name)
        if not controls:
            raise KeyError(f"the form renders no control named {name!r}: {sorted(self.names())}")
        first = controls[0]
        if first.kind == "checkbox" and len(controls) == 1 and isinstance(value, bool):
            first.checked = value
        elif first.kind in ("checkbox", "radio"):
            wanted = {str(v) for v in (value if isinstance(value, list | tuple | set) else [value])}
            for c in controls:
                c.checked = c.value in wanted
            missing = wanted - {c.value for c in controls}
            if missing:
                raise ValueError(f"{name}: no choice {sorted(missing)}")
        elif first.kind == "select-multiple":
            values = [str(v) for v in value]
            unknown = set(values) - set(first.options)
            if unknown:
                raise ValueError(f"{name}: no option {sorted(unknown)} in {first.options}")
            first.value = values
        elif first.kind == "select":
            if str(value) not in first.options:
                raise ValueError(f"{name}: no option {value!r} in {first.options}")
            first.value = str(value)
        else:
            first.value = str(value)


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Control | None = None
        self._selected_seen = False
        self._option: dict[str, Any] | None = None
        self._textarea: Control | None = None

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {k: (v if v is not None else "") for k, v in attrs_list}
        if tag == "form":
            self._form = Form(attrs.get("action", ""), attrs.get("method", "get").lower(), attrs)
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        name = attrs.get("name")
        disabled = "disabled" in attrs
        if tag == "input" and name:
            kind = attrs.get("type", "text").lower()
            default = "on" if kind in ("checkbox", "radio") else ""
            self._form.controls.append(
                Control(
                    name, kind, attrs.get("value", default), "checked" in attrs, disabled=disabled
                )
            )
        elif tag == "select" and name:
            kind = "select-multiple" if "multiple" in attrs else "select"
            self._select = Control(
                name, kind, [] if kind == "select-multiple" else None, disabled=disabled
            )
            self._selected_seen = False
            self._form.controls.append(self._select)
        elif tag == "option" and self._select is not None:
            self._option = {
                "value": attrs.get("value"),
                "selected": "selected" in attrs,
                "text": "",
            }
        elif tag == "textarea" and name:
            self._textarea = Control(name, "textarea", "", disabled=disabled)
            self._form.controls.append(self._textarea)

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option["text"] += data
        elif self._textarea is not None:
            self._textarea.value += data

    def _close_option(self) -> None:
        if self._option is None or self._select is None:
            return
        option, select = self._option, self._select
        value = option["value"] if option["value"] is not None else option["text"].strip()
        select.options.append(value)
        if select.kind == "select-multiple":
            if option["selected"]:
                select.value.append(value)
        elif option["selected"] or select.value is None:
            if option["selected"]:
                self._selected_seen = True
                select.value = value
            elif not self._selected_seen:
                select.value = value  # no option selected: a browser sends the first
        self._option = None

    def handle_endtag(self, tag: str) -> None:
        if tag == "option":
            self._close_option()
        elif tag == "select":
            self._close_option()
            if self._select is not None and self._select.value is None:
                self._select.value = ""
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            # A browser drops the one newline right after <textarea>.
            if self._textarea.value.startswith("\n"):
                self._textarea.value = self._textarea.value[1:]
            self._textarea = None
        elif tag == "form":
            self._form = None


def parse_forms(html: str) -> list[Form]:
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.forms


def parse_form(html: str, *, has: str = "csrfmiddlewaretoken", form_id: str | None = None) -> Form:
    """The one POST form of the page that renders a control named ``has`` (or has ``form_id``)."""
    forms = [
        f
        for f in parse_forms(html)
        if f.method == "post" and (f.attrs.get("id") == form_id if form_id else has in f.names())
    ]
    if len(forms) != 1:
        raise AssertionError(f"expected one post form with {form_id or has!r}, found {len(forms)}")
    return forms[0]
