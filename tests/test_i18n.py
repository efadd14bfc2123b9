"""English is available for the whole UI.

Two halves:
- the catalogue: every string the code marks for translation is in
  locale/en/LC_MESSAGES/django.po with a non-empty, non-fuzzy English msgstr that keeps
  the placeholders, and the committed django.mo says the same (CI has no gettext to
  compile it). A new ``_("…")`` or ``{% translate %}`` fails here until someone runs
  makemessages, translates and compiles.
- the pages: Chinese by default; after choosing English (set_language or
  Accept-Language) the pages say it in English. The test data has ASCII names, so any
  Chinese character left on an English page is an untranslated UI string.
"""

from __future__ import annotations

import ast
import datetime as dt
import gettext as gettext_module
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation.template import templatize

from tests import factories as f

ROOT = Path(settings.BASE_DIR)
PO = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
# The directories makemessages is run without (see the README's i18n note).
NOT_SOURCE = {".venv", "var", "bench", "tests", "staticfiles", "node_modules", ".git"}
HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdfiurxXeEgGc%]")
GETTEXT_NAMES = {
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
}


# ---------------------------------------------------------------------- the catalogue


def _unquote(lines: list[str]) -> str:
    return "".join(ast.literal_eval(line) for line in lines)


def parse_po(path: Path) -> list[dict]:
    """A small .po reader: msgid, msgid_plural, msgstr / msgstr[n] and the flags of each entry.

    Obsolete entries (#~) are skipped: gettext does not compile them.
    """
    entries = []
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
        lines = [ln for ln in block.strip().splitlines() if not ln.startswith("#~")]
        if not any(ln.startswith("msgid") for ln in lines):
            continue
        entry: dict = {"flags": set(), "msgstr": {}}
        key: tuple | None = None
        parts: dict[tuple, list[str]] = {}
        for line in lines:
            if line.startswith("#,"):
                entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                parts[key].append(line)
            else:
                word, rest = line.split(" ", 1)
                match = re.fullmatch(r"msgstr\[(\d+)\]", word)
                key = ("msgstr", int(match[1])) if match else (word, None)
                parts[key] = [rest]
        for (word, index), chunks in parts.items():
            text = _unquote(chunks)
            if word == "msgstr":
                entry["msgstr"][index or 0] = text
            else:
                entry[word] = text
        entries.append(entry)
    return entries


@pytest.fixture(scope="module")
def po_entries() -> list[dict]:
    entries = parse_po(PO)
    assert entries[0]["msgid"] == "", "the .po starts with its header"
    return entries


@pytest.fixture(scope="module")
def msgids(po_entries) -> set[str]:
    return {e["msgid"] for e in po_entries[1:]}


def test_po_header_declares_english_plurals_and_is_not_fuzzy(po_entries):
    header = po_entries[0]
    assert "fuzzy" not in header["flags"], (
        "a fuzzy header is dropped by msgfmt (no charset, no plural rule)"
    )
    assert "Language: en" in header["msgstr"][0]
    assert "charset=UTF-8" in header["msgstr"][0]
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header["msgstr"][0]


def test_every_po_entry_is_translated_and_none_is_fuzzy(po_entries):
    entries = po_entries[1:]
    assert len(entries) > 900, "the catalogue should hold the whole UI"
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    empty = [e["msgid"] for e in entries if not all(s.strip() for s in e["msgstr"].values())]
    short_plural = [
        e["msgid"] for e in entries if "msgid_plural" in e and sorted(e["msgstr"]) != [0, 1]
    ]
    assert not fuzzy, f"fuzzy entries (check and clear the flag): {fuzzy}"
    assert not empty, f"untranslated entries: {empty}"
    assert not short_plural, f"plural entries need msgstr[0] and msgstr[1]: {short_plural}"


def test_translations_are_english_and_keep_every_placeholder(po_entries):
    # 简体中文 is the language switcher's label: each language is offered in its own name.
    still_chinese = [
        e["msgid"]
        for e in po_entries[1:]
        if e["msgid"] != "简体中文" and any(HAN.search(s) for s in e["msgstr"].values())
    ]
    assert len(still_chinese) <= 2, f"msgstr still in Chinese: {still_chinese}"
    wrong = []
    for e in po_entries[1:]:
        expected = sorted(PLACEHOLDER.findall(e["msgid"]))
        for index, text in e["msgstr"].items():
            source = e.get("msgid_plural", e["msgid"]) if index else e["msgid"]
            expected = sorted(PLACEHOLDER.findall(source))
            got = sorted(PLACEHOLDER.findall(text))
            # English singular may drop the count ("1 day left" keeps it, but may say "one").
            if got != expected and not (
                index == 0 and "msgid_plural" in e and set(got) <= set(expected)
            ):
                wrong.append((e["msgid"], text))
    assert not wrong, f"placeholders differ between msgid and msgstr: {wrong}"


def test_committed_mo_matches_the_po(po_entries):
    """CI does not compile messages: the .mo in git must be compiled from this .po."""
    with MO.open("rb") as fh:
        catalogue = gettext_module.GNUTranslations(fh)
    stale: list[str] = []
    for e in po_entries[1:]:
        if "msgid_plural" in e:
            pairs = [
                (catalogue.ngettext(e["msgid"], e["msgid_plural"], 1), e["msgstr"][0]),
                (catalogue.ngettext(e["msgid"], e["msgid_plural"], 2), e["msgstr"][1]),
            ]
        elif "msgctxt" in e:  # {% translate "…" context "menu" %}
            pairs = [(catalogue.pgettext(e["msgctxt"], e["msgid"]), e["msgstr"][0])]
        else:
            pairs = [(catalogue.gettext(e["msgid"]), e["msgstr"][0])]
        stale.extend(e["msgid"] for got, want in pairs if got != want)
    assert not stale, f"django.mo is out of date (run compilemessages and commit it): {stale[:20]}"


def _source_files(pattern: str):
    for path in sorted(ROOT.rglob(pattern)):
        if not NOT_SOURCE.intersection(path.relative_to(ROOT).parts):
            yield path


def _python_msgids(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = (
            func.id
            if isinstance(func, ast.Name)
            else func.attr
            if isinstance(func, ast.Attribute)
            else None
        )
        if name not in GETTEXT_NAMES:
            continue
        args = node.args[1:] if name.startswith(("pgettext", "npgettext")) else node.args
        literal = [
            a.value for a in args[:2] if isinstance(a, ast.Constant) and isinstance(a.value, str)
        ]
        plural = name.startswith(("ngettext", "npgettext"))
        for text in literal[: 2 if plural else 1]:
            yield node.lineno, text


GETTEXT_CALL = re.compile(
    r"""\b(?:n?gettext|_)\(\s*((?:u|r|ur)?(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"))"""
)
NGETTEXT_PLURAL = re.compile(
    r"""\bngettext\(\s*(?:u?'(?:[^'\\]|\\.)*'|u?"(?:[^"\\]|\\.)*")\s*,\s*(u?(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"))"""
)


def _template_msgids(path: Path):
    """What makemessages extracts from a template, via Django's own templatize()."""
    python = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    for pattern in (GETTEXT_CALL, NGETTEXT_PLURAL):
        for match in pattern.finditer(python):
            yield ast.literal_eval(match[1])


def test_every_marked_string_in_the_code_is_in_the_po(msgids):
    missing = []
    for path in _source_files("*.py"):
        for line, text in _python_msgids(path):
            if text not in msgids:
                missing.append(f"{path.relative_to(ROOT)}:{line}: {text}")
    for path in _source_files("*.html"):
        for text in _template_msgids(path):
            if text not in msgids:
                missing.append(f"{path.relative_to(ROOT)}: {text}")
    assert not missing, (
        "strings marked for translation but missing from locale/en (run makemessages -l en, "
        "translate, compilemessages, commit .po and .mo):\n" + "\n".join(missing)
    )


def test_the_scanner_finds_template_and_python_strings():
    """The scan above must actually see strings, or it could pass on nothing."""
    base = list(_template_msgids(ROOT / "templates" / "base.html"))
    assert "聚居点星级评定" in base and "退出" in base
    pagination = list(_template_msgids(ROOT / "templates" / "_pagination.html"))
    assert "第 %(n)s / %(total)s 页" in pagination
    queue = list(_template_msgids(ROOT / "templates" / "ratings" / "queue.html"))
    assert "共 %(n)s 个聚居点" in queue
    forms = [text for _line, text in _python_msgids(ROOT / "ratings" / "forms.py")]
    assert "不申报星级" in forms


# ------------------------------------------------------------------------- the pages


def english(client):
    """Choose English the way a user does: the switcher in base.html posts to set_language."""
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    return client


def chinese_left(html: str) -> list[str]:
    """Chinese text on a page, apart from the switcher's own-language label 简体中文."""
    html = re.sub(r'<option value="zh-hans"[^>]*>简体中文</option>', "", html)
    return sorted(set(HAN.findall(html)))


@pytest.fixture
def ascii_county(db):
    township = f.township("Northtown", code="EN1")
    village = f.village(township, "Hillside", code="ENV1")
    settlement = f.settlement(
        village, code="EN-S1", name="Sunrise Court", households=120, residents=400, party_members=5
    )
    official = f.official("en_official", township)
    return {
        "township": township,
        "village": village,
        "settlement": settlement,
        "official": official,
    }


def test_chinese_is_the_default(client, db):
    response = client.get(reverse("login"))
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "登录" in html and "用户名" in html and "密码" in html
    assert "Log in" not in html and "Username" not in html


def test_choosing_english_turns_the_login_page_english(client, db):
    html = english(client).get(reverse("login")).content.decode()
    assert '<html lang="en">' in html
    for word in ("Settlement star rating", "Log in", "Username", "Password", "Language"):
        assert word in html
    assert not chinese_left(html)
    # Both languages stay findable in the switcher, each in its own name.
    assert ">简体中文</option>" in html and ">English</option>" in html


def test_accept_language_english_without_a_choice(client, db):
    html = client.get(reverse("login"), headers={"accept-language": "en"}).content.decode()
    assert '<html lang="en">' in html
    assert "Log in" in html and "登录" not in html


def test_switching_back_to_chinese(client, db):
    english(client)
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    html = client.get(reverse("login")).content.decode()
    assert "登录" in html and "Log in" not in html


def test_an_official_sees_english_pages(client, ascii_county):
    client.force_login(ascii_county["official"])
    english(client)
    settlement = ascii_county["settlement"]
    pages = {
        reverse("home"): ["Settlement"],
        reverse("settlements:list"): ["Settlement", "Name", "Code", "Search", "Sunrise Court"],
        reverse("settlements:detail", args=[settlement.pk]): [
            "Households",
            "Residents",
            "Party members",
            "Class I",
        ],
        reverse("settlements:governance", args=[settlement.pk]): [
            "Organisation and self-governance",
            "120 households · 5 Party members",
        ],
        reverse("settlements:households", args=[settlement.pk]): ["Resident points ledger"],
        reverse("ratings:round_current"): ["There is no assessment round in progress."],
    }
    for url, words in pages.items():
        response = client.get(url, follow=True)  # home sends an official on to this round
        assert response.status_code == 200, url
        html = response.content.decode()
        for word in words:
            assert word in html, (url, word)
        assert not chinese_left(html), (url, chinese_left(html))


def test_an_open_round_reads_in_english(client, ascii_county):
    from ratings import services
    from ratings.models import Rubric

    # The shipped rubric's name is data (Chinese), not UI: give it an English one here.
    Rubric.objects.filter(is_current=True).update(name="Default rubric")
    secretary = f.secretary("en_secretary")
    services.round_open(year=2031, quarter=1, by=secretary, today=dt.date(2031, 4, 1))
    client.force_login(ascii_county["official"])
    html = english(client).get(reverse("ratings:round_current")).content.decode()
    assert "Q1 2031 (Initial rating)" in html
    assert "Sunrise Court" in html and "Start self-assessment" in html
    assert not chinese_left(html), chinese_left(html)


def test_the_county_sees_english_queue_and_dashboards(client, ascii_county):
    assessor = f.assessor("en_assessor")
    client.force_login(assessor)
    english(client)
    pages = {
        reverse("ratings:queue"): ["Review queue"],
        reverse("ratings:rectification_list"): ["No rectification items."],
        reverse("dashboard:county"): ["County dashboard"],
        reverse("dashboard:league"): ["Within-class league"],
        reverse("dashboard:summary"): ["Township annual summary"],
        reverse("dashboard:model_villages"): ["Model village recommendations"],
        reverse("dashboard:drift"): ["Assessor drift"],
        reverse("settlements:governance_gaps"): ["Organisation-building gaps"],
    }
    for url, words in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        for word in words:
            assert word in html, (url, word)
        assert not chinese_left(html), (url, chinese_left(html))


def test_the_public_honour_roll_in_english(client, db):
    html = english(client).get(reverse("honour_roll")).content.decode()
    assert "Honour roll of star-rated settlements" in html
    assert not chinese_left(html), chinese_left(html)


def test_the_admin_index_in_english(client, ascii_county):
    secretary = f.secretary("en_secretary")
    client.force_login(secretary)
    english(client)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    html = response.content.decode()
    for word in (
        "Settlement star rating administration",
        "Administration home",
        "Settlement",
        "Rubric version",
    ):
        assert word in html, word
    assert "聚居点星级评定管理" not in html and "管理首页" not in html
    assert not chinese_left(html), chinese_left(html)

    changelist = client.get(reverse("admin:settlements_settlement_changelist")).content.decode()
    assert "Sunrise Court" in changelist and "Township" in changelist
    assert not chinese_left(changelist), chinese_left(changelist)


def test_messages_and_labels_follow_the_active_language(db):
    from ratings.models import Round, Stage
    from settlements.models import SettlementClass

    round_ = Round(year=2031, quarter=2, stage=Stage.RE)
    with translation.override("en"):
        assert str(round_) == "Q2 2031 (Re-rating)"
        assert str(SettlementClass.III.label) == "Class III (20–49 households)"
    with translation.override("zh-hans"):
        assert str(round_) == "2031年第2季度（复评）"
        assert str(SettlementClass.III.label) == "三类（20–49户）"
