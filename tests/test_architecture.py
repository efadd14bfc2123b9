"""The architecture is checked by tools, and these tests prove the tools would catch a breach.

- import-linter's contracts (pyproject.toml, `[tool.importlinter]`) pass on the tree, and break
  when a copy of the tree gets an import against the layers or a rules module imports Django
  or an app;
- no two project modules import each other at module level, directly or round a longer loop
  (an import inside a function, or under `if TYPE_CHECKING:`, does not count: it runs later);
- no source file outside migrations grows past ~600 lines.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
PACKAGES: list[str] = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
    "importlinter"
]["root_packages"]
MAX_LINES = 650  # "about 600": room for a cohesive module to run a little over


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(cwd), "COLUMNS": "500"},
    )


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's packages (Python files only) and pyproject.toml, in a throw-away folder."""
    copy = tmp_path_factory.mktemp("tree")
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            copy / package,
            ignore=lambda _dir, names: [
                n for n in names if not n.endswith(".py") and not (Path(_dir) / n).is_dir()
            ],
        )
    return copy


def _with_line(tree: Path, relative: str, line: str) -> Iterator[None]:
    path = tree / relative
    original = path.read_text(encoding="utf-8")
    path.write_text(original + "\n" + line + "\n", encoding="utf-8")
    try:
        yield
    finally:
        path.write_text(original, encoding="utf-8")


def test_contracts_pass_on_the_tree() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "offending", "contract"),
    [
        # a lower layer reaching up
        ("ratings/selectors.py", "import rewards.models", "Apps depend downwards only"),
        ("settlements/models.py", "from ratings import rules", "Apps depend downwards only"),
        ("core/scoping.py", "import settlements", "Apps depend downwards only"),
        # the siblings at the top are independent
        ("public/selectors.py", "import notifications.models", "Apps depend downwards only"),
        # rules stay pure
        ("ratings/rules.py", "from django.utils import timezone", "Rules modules import no Django"),
        ("rewards/rules.py", "from ratings import rules", "Rules modules import no Django"),
        (
            "settlements/governance/rules.py",
            "from settlements import models",
            "Rules modules import no Django",
        ),
    ],
)
def test_contracts_break_on_an_offending_import(
    tree_copy: Path, module: str, offending: str, contract: str
) -> None:
    for _ in _with_line(tree_copy, module, offending):
        result = _lint_imports(tree_copy)
    assert result.returncode == 1, result.stdout + result.stderr
    broken = [line for line in result.stdout.splitlines() if " BROKEN" in line]
    assert len(broken) == 1 and broken[0].startswith(contract), result.stdout


# ------------------------------------------------------------------ import cycles


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _source_files() -> Iterator[Path]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _top_level_imports(path: Path, module: str, known: set[str]) -> set[str]:
    """Project modules `module` imports when it is itself imported."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    found: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    found.add(alias.name)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = module.split(".") if is_package else module.split(".")[:-1]
                    base = base[: len(base) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                found.add(target)
                for alias in node.names:  # `from package import module`
                    found.add(f"{target}.{alias.name}")
            elif isinstance(node, ast.If) and not _is_type_checking(node):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
                visit(node.orelse)
                visit(node.finalbody)

    visit(tree.body)
    imported = {name for name in found if name in known}
    return {name for name in imported if name != module}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                connect(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def _import_graph() -> dict[str, set[str]]:
    files = {_module_name(path): path for path in _source_files()}
    known = set(files)
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        graph[module] = _top_level_imports(path, module, known)
    # Importing a.b.c runs a/__init__ and a/b/__init__ first.
    for module in list(graph):
        graph[module] |= {
            ".".join(target.split(".")[:i])
            for target in set(graph[module])
            for i in range(1, target.count(".") + 1)
            if ".".join(target.split(".")[:i]) != module
        } & known
    return graph


def test_no_import_cycles_between_project_modules() -> None:
    # A package's __init__ importing its own submodules is how a package re-exports
    # names, not a cycle between modules: leave those edges out.
    graph = {
        module: {t for t in targets if not module or not t.startswith(module + ".")}
        for module, targets in _import_graph().items()
    }
    graph = {
        module: {t for t in targets if not module.startswith(t + ".")}
        for module, targets in graph.items()
    }
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


# ------------------------------------------------------------------ file length


def test_no_source_file_outside_migrations_is_longer_than_about_600_lines() -> None:
    long_files = {}
    for folder in [*PACKAGES, "tests", "bench"]:
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            lines = path.read_text(encoding="utf-8").count("\n")
            if lines > MAX_LINES:
                long_files[str(path.relative_to(ROOT))] = lines
    assert long_files == {}
