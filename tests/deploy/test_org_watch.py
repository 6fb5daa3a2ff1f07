"""GIVEN a copy of the project's stage config WHEN `deploy --org` turns the organization
watch on (tools/org_watch.py) and `remove --org` turns it off THEN only the us-east-1
stage of that env changes, its policy file follows its settings (what `check` and
`policies --check` demand), a second time changes nothing, a dry run writes nothing,
and off means off even when the shared settings say on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.deploy.operator import edit_config, stage_config_copy
from tools.org_watch import WATCH_SETTING, set_watch, watches
from tools.policy import policy_problem
from tools.stages import load_stages


def files(project: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted((project / ".chalice").glob("*.json"))}


def test_on_changes_only_the_us_east_1_stage_and_its_policy_once(tmp_path: Path) -> None:
    project = stage_config_copy(tmp_path)
    before = files(project)
    dry: list[str] = []
    set_watch("prod", project, True, dry, dry_run=True)
    assert files(project) == before and len(dry) == 1

    changes: list[str] = []
    stage = set_watch("prod", project, True, changes, dry_run=False)

    assert changes == dry  # the dry run said exactly what the run did
    assert stage is not None and watches(stage)
    after = files(project)
    assert {name for name in after if after[name] != before[name]} == {
        "config.json",
        "policy-prod-us-east-1.json",
    }
    stages = load_stages(project)
    assert [name for name, s in stages.items() if watches(s)] == ["prod-us-east-1"]
    assert all(policy_problem(s, project) is None for s in stages.values())
    again: list[str] = []
    set_watch("prod", project, True, again, dry_run=False)
    assert again == [] and files(project) == after


def test_off_restores_the_plain_stage_even_under_a_shared_setting(tmp_path: Path) -> None:
    project = stage_config_copy(tmp_path)
    before = files(project)
    set_watch("prod", project, True, [], dry_run=False)
    changes: list[str] = []
    set_watch("prod", project, False, changes, dry_run=False)
    assert len(changes) == 1 and files(project) == before  # as a plain deploy has it

    def shared_on(config: dict[str, Any]) -> None:
        config["environment_variables"][WATCH_SETTING] = "true"

    edit_config(project, shared_on)
    stage = set_watch("prod", project, False, [], dry_run=False)
    assert stage is not None and not watches(stage)
    assert stage.environment[WATCH_SETTING] == "false"
    assert policy_problem(stage, project) is None


def test_an_env_without_a_us_east_1_stage_is_left_alone(tmp_path: Path) -> None:
    project = stage_config_copy(tmp_path)

    def only_west(config: dict[str, Any]) -> None:
        del config["stages"]["dev-us-east-1"]

    edit_config(project, only_west)
    before = files(project)
    changes: list[str] = []
    assert set_watch("dev", project, True, changes, dry_run=False) is None
    assert changes == [] and files(project) == before
