"""System-written reasons stored as codes with their data (ratings/reasons.py).

Existing rows written by the system, in Chinese or (when an English reader clicked) in
English, are recognised by their wording and given their codes, so they too are shown in
the reader's language. Anything else is a person's text and stays as written.
"""

import re

from django.db import migrations, models

STAGES = {"初评": "initial", "复评": "re", "定评": "final", "initial": "initial", "re-rating": "re", "final": "final"}


def _entry(code, **params):
    return {"code": code, "params": params}


# (pattern, code, params from the match); Chinese and the English catalogue's wording.
REASONS = [
    (r"公示期满（(?P<date>[\d-]+)）无异议或异议不成立，评定生效。", "effective"),
    (r"Public notice period ended \((?P<date>[\d-]+)\) with no objection or objections rejected; the rating is in effect\.", "effective"),
    (r"县级考评 (?P<score>[\d.]+) 分（触发一票否决），公示至 (?P<date>[\d-]+)。", "rated_veto"),
    (r"县级考评 (?P<score>[\d.]+) 分，公示至 (?P<date>[\d-]+)。", "rated"),
    (r"County review score (?P<score>[\d.]+) \(veto triggered\); public notice until (?P<date>[\d-]+)\.", "rated_veto"),
    (r"County review score (?P<score>[\d.]+); public notice until (?P<date>[\d-]+)\.", "rated"),
    (r"异议成立，评定撤销，县考评组重新考评：(?P<reasons>.*)", "objection_upheld"),
    (r"Objection upheld; rating withdrawn and the county assessment team will review again: (?P<reasons>.*)", "objection_upheld"),
    (r"整改复查：(?P<notes>.*)", "rectification_check"),
    (r"Rectification re-check: (?P<notes>.*)", "rectification_check"),
]
TRIGGERS = [
    (r"触发一票否决", "veto_triggered"),
    (r"县级得分低于上次评定", "lower_than_last"),
    (r"县级考评发现问题，需限期整改。", "problems_found"),
    (r"重点关注条目被扣分或触发：(?P<items>.*)。", "flagged_items"),
    (r"Key items deducted or triggered: (?P<items>.*)\.", "flagged_items"),
    (
        r"县级考评得分 (?P<score>[\d.]+) 分，低于上次评定（(?P<year>\d+)年第(?P<quarter>\d)季度（(?P<stage>\w+)））的 (?P<previous>[\d.]+) 分。",
        "score_below_previous",
    ),
]
REQUIREMENTS = [(r"对照扣分条目逐项整改，整改期满前上传整改佐证。", "rectify_deducted_items")]


def _match(text, patterns):
    for pattern, code in patterns:
        found = re.fullmatch(pattern, text.strip(), flags=re.S)
        if found is None:
            continue
        params = found.groupdict()
        if code == "flagged_items":
            params = {"items_list": re.split(r"[；;] ?", params["items"])}
        if code == "score_below_previous":
            if params["stage"] not in STAGES:
                return None
            params = {
                "score": params["score"],
                "previous": params["previous"],
                "round_year": int(params["year"]),
                "round_quarter": int(params["quarter"]),
                "round_stage": STAGES[params["stage"]],
            }
        return _entry(code, **params)
    return None


def _lines(text, patterns):
    """Every line a known system reason, or None (then it is a person's text)."""
    entries = [_match(line, patterns) for line in text.splitlines() if line.strip()]
    return entries if entries and all(entries) else None


def forwards(apps, schema_editor):
    StarChange = apps.get_model("ratings", "StarChange")
    Rectification = apps.get_model("ratings", "Rectification")
    for change in StarChange.objects.exclude(reason="").only("pk", "reason").iterator():
        found = _match(change.reason, REASONS)
        if found:
            StarChange.objects.filter(pk=change.pk).update(system_text={"reason": [found]})
    for rect in Rectification.objects.only("pk", "trigger", "requirements").iterator():
        system = {}
        trigger = _lines(rect.trigger or "", TRIGGERS)
        if trigger:
            system["trigger"] = trigger
        requirements = _lines(rect.requirements or "", REQUIREMENTS)
        if requirements:
            system["requirements"] = requirements
        if system:
            Rectification.objects.filter(pk=rect.pk).update(system_text=system)


class Migration(migrations.Migration):

    dependencies = [
        ('ratings', '0010_rubric_edit_versions'),
    ]

    operations = [
        # (the data step is last: it needs the fields added below)
        migrations.AddField(
            model_name='historicalrectification',
            name='system_text',
            field=models.JSONField(blank=True, default=dict, editable=False),
        ),
        migrations.AddField(
            model_name='rectification',
            name='system_text',
            field=models.JSONField(blank=True, default=dict, editable=False),
        ),
        migrations.AddField(
            model_name='starchange',
            name='system_text',
            field=models.JSONField(blank=True, default=dict, editable=False),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
