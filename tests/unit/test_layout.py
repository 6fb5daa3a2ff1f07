"""GIVEN the Lambda code in chalicelib/ THEN a newcomer can find their way in it: each
module one idea of a readable size, one name per class, no import circle, and each
package imports only what its `__init__` says it may (no arrow up)."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "chalicelib"
MAX_LINES = 350  # "about 300": a module past this holds more than one idea
BASE = {"clock", "logs", "severity", "secret_shapes", "aws_clients", "settings", "setting_parsers"}
MODULES = sorted(PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def top_level_imports(path: Path) -> set[str]:
    """The chalicelib modules a module imports when it is imported (not those imported
    inside functions, which break no circle, nor those only for type checking)."""
    found: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "chalicelib":
                found |= {f"chalicelib.{alias.name}" for alias in node.names}
            elif node.module.startswith("chalicelib."):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("chalicelib.")}
    return found


def every_import(path: Path) -> set[str]:
    """Every chalicelib module it names anywhere, also inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("chalicelib."):
            found.add(str(node.module))
    return found


def area(module: str) -> str:
    """`chalicelib.store.ledger` -> `store`; `chalicelib.settings` -> `settings`."""
    return module.split(".")[1]


def allowed(package: str) -> set[str]:
    doc = ast.get_docstring(ast.parse((PACKAGE / package / "__init__.py").read_text())) or ""
    match = re.search(r"May import: ([^.]*)\.", doc)
    assert match, f"chalicelib/{package}/__init__.py must say what it may import"
    names = match.group(1)
    return set() if names.startswith("nothing") else {n.strip() for n in names.split(",")}


PACKAGES = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists())


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_is_past_the_size_of_one_idea(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= MAX_LINES


def test_no_class_name_is_defined_in_two_modules() -> None:
    where: dict[str, list[str]] = defaultdict(list)
    for path in MODULES:
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef):
                where[node.name].append(module_name(path))
    assert {name: places for name, places in where.items() if len(places) > 1} == {}


def test_no_import_circle() -> None:
    graph = {module_name(path): top_level_imports(path) for path in MODULES}
    done: set[str] = set()

    def visit(module: str, trail: list[str]) -> None:
        if module in trail:
            pytest.fail("import circle: " + " -> ".join([*trail[trail.index(module) :], module]))
        if module in done:
            return
        for imported in sorted(graph.get(module, ())):
            visit(imported, [*trail, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_imports_only_what_its_init_allows(package: str) -> None:
    may = allowed(package) | {package}
    wrong = {
        f"{module_name(path)} imports {imported}"
        for path in sorted((PACKAGE / package).rglob("*.py"))
        for imported in every_import(path)
        if area(imported) not in may
    }
    assert wrong == set()


def test_the_base_imports_only_the_base() -> None:
    wrong = {
        f"chalicelib.{path.stem} imports {imported}"
        for path in MODULES
        if path.parent == PACKAGE and path.stem in BASE
        for imported in every_import(path)
        if area(imported) not in BASE
    }
    assert wrong == set()


def test_the_rules_are_read_from_every_package() -> None:
    """The rules above cover every package and base module there is."""
    top = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    top = {stem for stem in top if not stem.startswith("container")}  # the wiring
    assert top == BASE
    assert {"signin", "judge", "store", "slack", "alerting"} <= set(PACKAGES)
    assert allowed("signin") == set() and "alerting" not in allowed("storms")
