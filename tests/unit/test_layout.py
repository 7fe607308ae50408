"""The house stays walkable: every module's name is its own, the scripts and the tests reach
each other only through scripts/harness, and nobody edits the import path."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("service", "routing", "escalation", "scripts", "tests")
# Names a convention gives to one module per package: pytest's conftest, each face's blueprint.
CONVENTIONAL = {"__init__", "conftest", "blueprint"}


def _modules() -> list[Path]:
    files = [path for package in PACKAGES for path in (ROOT / package).rglob("*.py")]
    return [path for path in files if "migrations" not in path.relative_to(ROOT).parts]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    return found | {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}


def test_no_two_modules_or_packages_share_a_name() -> None:
    names = Counter(path.stem for path in _modules() if path.stem not in CONVENTIONAL)
    packages = {path.parent.name for path in _modules() if path.name == "__init__.py"}
    names.update(packages)
    assert [name for name, count in names.items() if count > 1] == []


def test_scripts_never_import_the_tests() -> None:
    importing = [
        path.name
        for path in (ROOT / "scripts").rglob("*.py")
        if any(name == "tests" or name.startswith("tests.") for name in _imports(path))
    ]
    assert importing == []


def test_no_script_or_test_edits_the_import_path() -> None:
    editing = [
        path.name
        for package in ("scripts", "tests")
        for path in (ROOT / package).rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute) and node.attr == "path" and getattr(node.value, "id", None) == "sys"
    ]
    assert editing == []


def test_the_service_top_level_stays_one_screen() -> None:
    """A newcomer finds any behaviour in one hop from `ls service/`: the wings and what every
    wing uses. The package marker and the link that ships config/ inside the package aside."""
    entries = sorted(
        path.name for path in (ROOT / "service").iterdir() if path.name not in {"__init__.py", "config", "__pycache__"}
    )
    assert len(entries) <= 15, entries
