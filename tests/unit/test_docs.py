"""The README and docs/ as a newcomer meets them: a short front page, links that lead
somewhere, commands that exist, and a settings table that is the code's own."""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

import manage
from chalicelib.secret_shapes import SECRET_SHAPES
from chalicelib.settings import Settings
from tools.setting_docs import NOT_SETTINGS, SETTING_DOCS, Setting
from tools.settings_table import BEGIN, END, PAGE, settings_table

ROOT = Path(__file__).parents[2]
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
README_MAX_LINES = 220

# [text](target): not images' alt text and not reference-style links, which we do not use.
LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`([^`\n]+)`")
MAKE = re.compile(r"(?:^|[\s;&|(])make\s+([A-Za-z][\w-]*)")
MANAGE = re.compile(r"manage\.py\s+([a-z][\w-]*)")
MAKE_TARGET = re.compile(r"^([A-Za-z][\w.-]*)\s*:(?!=)", re.MULTILINE)


def ids(paths: list[Path]) -> list[str]:
    return [str(path.relative_to(ROOT)) for path in paths]


def anchors(page: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes, and
    -1, -2, ... after a repeated one. Headings inside code blocks are not headings."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    for line in FENCE.sub("", page.read_text()).splitlines():
        heading = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not heading:
            continue
        slug = re.sub(r"[^\w\- ]", "", heading.group(1).lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def code(page: Path) -> Iterator[str]:
    """What a page shows as code: fenced blocks and inline code spans."""
    text = page.read_text()
    yield from (block.group(0) for block in FENCE.finditer(text))
    yield from (span.group(1) for span in CODE_SPAN.finditer(FENCE.sub("", text)))


def manage_commands() -> set[str]:
    """The subcommands manage.py declares, registered as manage.main registers them."""
    parser = argparse.ArgumentParser(prog="manage.py")
    commands = parser.add_subparsers(dest="command")
    for name in manage.COMMAND_MODULES:
        importlib.import_module(name).register(commands)
    return set(commands.choices)


def make_targets() -> set[str]:
    return set(MAKE_TARGET.findall((ROOT / "Makefile").read_text()))


def test_readme_is_read_in_ten_minutes() -> None:
    lines = len(README.read_text().splitlines())
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines; move depth to docs/"


def test_readme_links_every_docs_page() -> None:
    linked = {target.split("#")[0] for target in LINK.findall(README.read_text())}
    missing = [p.name for p in PAGES[1:] if f"docs/{p.name}" not in linked]
    assert not missing, f"README.md does not link {missing}"


@pytest.mark.parametrize("page", PAGES, ids=ids(PAGES))
def test_relative_links_lead_to_a_file_and_heading(page: Path) -> None:
    broken = []
    for target in LINK.findall(FENCE.sub("", page.read_text())):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{target}: no heading #{anchor} in {linked.name}")
    assert not broken, broken


@pytest.mark.parametrize("page", PAGES, ids=ids(PAGES))
def test_commands_shown_exist(page: Path) -> None:
    shown = list(code(page))
    targets, commands = make_targets(), manage_commands()
    makes = {target for text in shown for target in MAKE.findall(text)}
    manages = {command for text in shown for command in MANAGE.findall(text)}
    assert makes - targets == set(), f"not Makefile targets: {makes - targets}"
    assert manages - commands == set(), f"not manage.py commands: {manages - commands}"


def test_the_command_finders_find_commands() -> None:
    assert {"demo", "test", "bench", "package"} <= make_targets()
    assert {"demo", "deploy", "redrive", "audit-regions", "backfill"} <= manage_commands()
    assert "demo" in MAKE.findall("make demo   # the main job")
    assert MANAGE.findall("python manage.py audit-regions --env prod") == ["audit-regions"]


def test_configuration_page_holds_the_generated_settings_table() -> None:
    assert settings_table() in PAGE.read_text(), (
        "docs/configuration.md is out of date: python -m tools.settings_table --write"
    )
    assert PAGE.read_text().count(BEGIN) == PAGE.read_text().count(END) == 1


def test_every_setting_field_is_documented_once() -> None:
    documented = [s.attribute for s in SETTING_DOCS if s.attribute is not None]
    fields = [field.name for field in dataclasses.fields(Settings)]
    assert sorted(documented) == sorted(fields), "a Settings field needs one SETTING_DOCS row"
    envs = [s.env for s in SETTING_DOCS]
    assert len(envs) == len(set(envs))


class Reads(dict[str, str]):
    """An empty environment that remembers every variable asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[str] = set()

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.asked.add(key)
        return super().__getitem__(key)


def test_every_variable_from_env_reads_is_documented() -> None:
    env = Reads()
    Settings.from_env(env)
    documented = {s.env for s in SETTING_DOCS}
    assert env.asked - NOT_SETTINGS == documented


@pytest.mark.parametrize(
    "setting",
    [s for s in SETTING_DOCS if s.attribute and s.env not in SECRET_SHAPES],
    ids=lambda s: s.env,
)
def test_each_example_is_a_value_the_setting_accepts(setting: Setting) -> None:
    assert setting.attribute is not None
    env: Mapping[str, str] = {setting.env: setting.example}
    read = getattr(Settings.from_env(env), setting.attribute)
    assert read != getattr(Settings.from_env({}), setting.attribute), (
        f"{setting.env}={setting.example} does not change Settings.{setting.attribute}"
    )


def test_table_cells_do_not_break_the_table() -> None:
    for s in SETTING_DOCS:
        assert "|" not in s.what + s.example + s.unset, s.env
        assert "\n" not in s.what, s.env


def test_anchors_are_githubs(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        '# Title\n## MFA: a fact with a source\n## /recent-logins\n### "Was this you?"\n'
        "## Alarms\n## Alarms\n```sh\n# not a heading\n```\n"
    )
    assert anchors(page) == {
        "title",
        "mfa-a-fact-with-a-source",
        "recent-logins",
        "was-this-you",
        "alarms",
        "alarms-1",
    }
