"""English complete, small things right (issue 15): no full-width punctuation in English
text, language names in their own language, the admin's group picker translated, and
system-written reasons shown in the reader's language whoever clicked."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import translation

from ratings import reasons
from ratings.reasons import Reason
from settlements.roles import ASSESSOR, OFFICIAL, group_label
from tests import factories as f
from tests.test_i18n import PO, parse_po

# CJK punctuation and full-width forms: （）：，；。、！？【】 and friends. (Curly quotes
# “ ” are English typography too, so they are allowed.)
FULL_WIDTH = re.compile(r"[\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65]")


def _msgstrs(entry: dict) -> list[str]:
    value = entry.get("msgstr")
    if isinstance(value, dict):
        return list(value.values())
    return (
        [value]
        if isinstance(value, str)
        else [v for k, v in entry.items() if k.startswith("msgstr[")]
    )


def test_english_catalogue_has_no_full_width_punctuation():
    offending = [
        f"{entry['msgid'][:40]!r} -> {text!r}"
        for entry in parse_po(PO)
        for text in _msgstrs(entry)
        if FULL_WIDTH.search(text or "")
    ]
    assert not offending, "full-width punctuation in English text:\n" + "\n".join(offending)


def test_the_scan_would_see_full_width_punctuation():
    assert FULL_WIDTH.search("（10 days left）") and FULL_WIDTH.search("Rubric：")
    assert not FULL_WIDTH.search("Rubric: (10 days left); a, b.")


def test_punctuation_tags_follow_the_language():
    from core.templatetags.punctuation import colon, paren

    with translation.override("en"):
        assert paren("10 days left") == " (10 days left)" and colon() == ": "
    with translation.override("zh-hans"):
        assert paren("还剩 10 天") == "（还剩 10 天）" and colon() == "："


def test_language_option_reads_in_its_own_language(client, db):
    page = client.get(reverse("login")).content.decode()
    assert ">English</option>" in page and "英语" not in page
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("login")).content.decode()
    assert ">简体中文</option>" in page


def test_group_names_are_shown_in_the_readers_language():
    with translation.override("en"):
        assert group_label(OFFICIAL) == "Township official"
        assert group_label("某个自定义组") == "某个自定义组"  # a group someone made: as named
    with translation.override("zh-hans"):
        assert group_label(ASSESSOR) == "县考评组"


@pytest.mark.django_db
def test_admin_group_picker_reads_in_the_pages_language(client, official_a):
    from settlements.roles import sync_role_permissions

    sync_role_permissions()
    admin = f.user("root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(
        reverse("admin:settlements_user_change", args=[official_a.pk])
    ).content.decode()
    picker = re.search(r'<select name="groups".*?</select>', page, re.S).group(0)
    assert "Township official" in picker and "County assessment team" in picker
    assert "乡镇干部" not in picker
    assert Group.objects.filter(name=OFFICIAL).exists()  # the stored name stays Chinese


# ----------------------------------------------------------- system-written reasons


def test_system_reason_is_stored_in_chinese_and_shown_in_the_readers_language():
    entry = reasons.entry(Reason.RATED_VETO, score="61.5", date="2031-04-22")
    with translation.override("en"):  # an English-speaking assessor clicks
        stored = reasons.stored("reason", entry)
    assert stored["reason"] == "县级考评 61.5 分（触发一票否决），公示至 2031-04-22。"
    assert stored["system_text"] == {
        "reason": [{"code": "rated_veto", "params": {"score": "61.5", "date": "2031-04-22"}}]
    }

    class Change:
        reason = stored["reason"]
        system_text = stored["system_text"]

    with translation.override("en"):
        assert reasons.shown(Change, "reason") == (
            "County review score 61.5 (veto triggered); public notice until 2031-04-22."
        )
    with translation.override("zh-hans"):
        assert reasons.shown(Change, "reason") == stored["reason"]


def test_a_persons_text_is_shown_as_written():
    class Rect:
        trigger = "村民反映垃圾清运不及时"
        system_text: dict = {}

    with translation.override("en"):
        assert reasons.shown(Rect, "trigger") == "村民反映垃圾清运不及时"


def test_every_reason_code_has_english():
    params = {
        "score": "80.0",
        "previous": "90.0",
        "date": "2031-04-22",
        "reasons": "x",
        "notes": "y",
        "round_year": 2031,
        "round_quarter": 1,
        "round_stage": "initial",
        "items_list": ["ZZ02 a", "HJ01 b"],
    }
    with translation.override("en"):
        for code in Reason:
            text = reasons.render([{"code": code.value, "params": params}])
            assert text and not re.search(
                r"[\u4e00-\u9fff]", text.replace("ZZ02 a", "").replace("HJ01 b", "")
            ), text


def test_menu_labels_read_as_one_set_in_english(client, official_a):
    client.force_login(official_a)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    nav = re.search(
        r'<nav class="nav">.*?</nav>',
        client.get(reverse("settlements:list")).content.decode(),
        re.S,
    ).group(0)
    labels = [label.strip() for label in re.findall(r">([^<>]+)</a>", nav) if label.strip()]
    for label in (
        "My township",
        "Self-assessments",
        "Rectifications",
        "Settlements",
        "Organisation gaps",
        "Rewards",
    ):
        assert label in labels, labels
    assert not any(label[0].islower() for label in labels), labels  # "your township" was


def test_migration_recognises_existing_system_wording_and_leaves_peoples_text():
    import importlib

    migration = importlib.import_module("ratings.migrations.0011_system_text")
    assert migration._match(
        "公示期满（2031-04-22）无异议或异议不成立，评定生效。", migration.REASONS
    ) == {"code": "effective", "params": {"date": "2031-04-22"}}
    english = "County review score 61.5 (veto triggered); public notice until 2031-04-22."
    assert migration._match(english, migration.REASONS)["code"] == "rated_veto"
    assert migration._match("发生安全事故", migration.REASONS) is None  # a person's reason
    below = "县级考评得分 80.0 分，低于上次评定（2030年第4季度（定评））的 90.0 分。"
    entry = migration._lines(below + "\n触发一票否决", migration.TRIGGERS)
    assert entry[0]["params"]["round_stage"] == "final" and entry[1]["code"] == "veto_triggered"
    with translation.override("en"):
        assert "Q4" in reasons.render(entry) or "2030" in reasons.render(entry)
    # one unknown line keeps the whole trigger as written
    assert migration._lines("触发一票否决\n群众反映问题", migration.TRIGGERS) is None
