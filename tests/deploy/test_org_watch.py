"""GIVEN a copy of the project's stage config WHEN `deploy --org` turns the organization
watch on (tools/org_watch.py) and `remove --org` turns it off THEN only the us-east-1
stage of that env changes, its policy file follows its settings (what `check` and
`policies --check` demand), a second time changes nothing, a dry run writes nothing,
and off means off even when the shared settings say on. A run that does not deploy that
stage says what to run while the deployed stage runs without the watch."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import boto3

from tests.deploy.operator import edit_config, stage_config_copy
from tools.deploy import watch_organization
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


def deployed_watchdog(variables: dict[str, str]) -> None:
    """The prod us-east-1 stage's watchdog function as Chalice deploys it (its name, its
    environment), made or given new settings; its code is never run."""
    lambda_client = boto3.client("lambda", region_name="us-east-1")
    name = "signin-alerts-prod-us-east-1-watchdog"
    if lambda_client.list_functions()["Functions"]:
        lambda_client.update_function_configuration(
            FunctionName=name, Environment={"Variables": variables}
        )
        return
    trust = {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}
    iam = boto3.client("iam", region_name="us-east-1")
    role = iam.create_role(RoleName="watchdog", AssumeRolePolicyDocument=json.dumps(trust))
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return None\n")
    lambda_client.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=role["Role"]["Arn"],
        Handler="app.handler",
        Code={"ZipFile": code.getvalue()},
        Environment={"Variables": variables},
    )


def test_a_run_without_the_us_east_1_stage_says_what_to_run_while_it_does_not_watch(
    aws: None, tmp_path: Path
) -> None:
    project = stage_config_copy(tmp_path)
    session = boto3.session.Session()
    deployed_watchdog({"STAGE_REGION": "us-east-1"})
    changes: list[str] = []
    notes: list[str] = []
    watch_organization(session, "prod", ["us-west-2"], project, changes, notes)
    assert len(changes) == 1 and watches(load_stages(project)["prod-us-east-1"])
    assert notes == [
        "prod-us-east-1 runs without ORGANIZATION_WATCH until deployed again: "
        "python manage.py deploy --env prod --regions us-east-1"
    ]
    notes.clear()
    watch_organization(session, "prod", ["us-east-1", "us-west-2"], project, changes, notes)
    assert notes == []  # this run deploys it
    deployed_watchdog({"STAGE_REGION": "us-east-1", WATCH_SETTING: "true"})
    watch_organization(session, "prod", ["us-west-2"], project, changes, notes)
    assert notes == [] and len(changes) == 1  # nothing more to write or say
