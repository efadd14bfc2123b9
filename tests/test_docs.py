"""The repository explains itself: every code name the docs cite exists, and nothing
points outside the repository.

docs/*.md and README.md cite code as `module.name` in backticks; a rename that leaves
the docs behind fails here instead of misleading the next reader.
"""

import importlib
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]
# The project's own top-level packages: only names under these are checked.
PACKAGES = (
    "config",
    "core",
    "settlements",
    "ratings",
    "rewards",
    "dashboards",
    "public",
    "notifications",
)
CITED = re.compile(r"`((?:" + "|".join(PACKAGES) + r")(?:\.[A-Za-z_][A-Za-z0-9_]*)+)`")


def cited_names() -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        for name in CITED.findall(doc.read_text(encoding="utf-8")):
            found.append((doc.name, name))
    return found


def resolve(dotted: str) -> object:
    """Import the longest importable prefix, then follow attributes.

    ``app_label.Model`` (how the README names a model, as Django does) resolves through
    the app registry.
    """
    parts = dotted.split(".")
    if (
        len(parts) == 2
        and parts[1][:1].isupper()
        and not hasattr(importlib.import_module(parts[0]), parts[1])
    ):
        from django.apps import apps

        return apps.get_model(dotted)
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)  # AttributeError names what is missing
        return obj
    raise ModuleNotFoundError(dotted)


def test_docs_exist():
    for name in ("rules.md", "architecture.md", "howto.md"):
        assert (ROOT / "docs" / name).is_file(), name


def test_docs_cite_many_names():
    assert len({name for _doc, name in cited_names()}) > 50


@pytest.mark.parametrize(("doc", "name"), cited_names())
def test_cited_name_resolves(doc, name):
    resolve(name)


def tracked_files() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return [line for line in out.splitlines() if line]


def test_no_tracked_file_refers_outside_the_repository():
    needles = ("../" + "shared", "/work/" + "shared")
    offenders = []
    for rel in tracked_files():
        path = ROOT / rel
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if any(needle in text for needle in needles):
            offenders.append(rel)
    assert offenders == []


def test_no_tracked_file_cites_contract_documents_outside_the_repository():
    names = ("SPEC" + ".md", "ARCHITECTURE" + ".md", "PERFORMANCE" + ".md")
    offenders = []
    for rel in tracked_files():
        path = ROOT / rel
        if not path.is_file() or path.suffix not in {
            ".py",
            ".md",
            ".html",
            ".toml",
            ".txt",
            ".cfg",
        }:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if any(name in text for name in names):
            offenders.append(rel)
    assert offenders == []


def test_spec_section_cites_match_numbered_sections_of_rules_md():
    """ "SPEC §N" in code comments means section N of docs/rules.md."""
    sections = set(
        re.findall(r"^## §(\d+) ", (ROOT / "docs" / "rules.md").read_text(encoding="utf-8"), re.M)
    )
    cited: set[str] = set()
    for rel in tracked_files():
        if rel.endswith(".py"):
            text = (ROOT / rel).read_text(encoding="utf-8", errors="replace")
            for run in re.findall(r"SPEC ((?:§\d+(?:[–-]\d+)?(?:, )?)+)", text):
                for first, last in re.findall(r"§(\d+)(?:[–-](\d+))?", run):
                    cited.update(str(n) for n in range(int(first), int(last or first) + 1))
    assert cited and cited <= sections, sorted(cited - sections)


def test_readme_where_things_are_matches_the_tree():
    """README's 代码结构 names every tracked top-level directory, and nothing that is not there."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## 代码结构 Where things are", 1)[1]
    block = section.split("```", 2)[1]
    listed = set(re.findall(r"^([.\w]+(?:/\w+)*)/ ", block, re.M))
    tracked = {rel.split("/", 1)[0] for rel in tracked_files() if "/" in rel}
    assert tracked <= listed, sorted(tracked - listed)
    for entry in listed:
        assert (ROOT / entry).is_dir(), entry
