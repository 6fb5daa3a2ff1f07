"""GIVEN an operator's mistake (no credentials, an unknown profile, no region, a stage
in the wrong region, an unknown env or stage, a missing policy file, a bad setting)
WHEN any `manage.py` command meets it THEN one line on stderr names the fix, exit 2,
never a traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, NoRegionError

from tests.deploy.operator import edit_config, run_manage, stage_config_copy
from tools.mistakes import Mistake, from_exception


def assert_one_line(run: Any, *words: str) -> None:
    assert run.exit_code == 2, run.output
    assert "Traceback" not in run.output
    assert run.err.count("\n") == 1 and run.err.endswith("\n"), run.err
    for word in words:
        assert word in run.err, run.err


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return stage_config_copy(tmp_path)


@pytest.fixture
def no_aws_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No shared config or credentials files, no instance metadata to fall back on."""
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        monkeypatch.delenv(name, raising=False)


def test_no_credentials(project: Path, no_aws_files: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")

    run = run_manage("provision", "--env", "dev", "--project-dir", str(project))

    assert_one_line(run, "no AWS credentials", "aws configure")


def test_an_unknown_profile(
    project: Path, no_aws_files: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")

    run = run_manage("check", "--env", "dev", "--project-dir", str(project))

    assert_one_line(run, "'no-such-profile'", "AWS_PROFILE")


def test_no_region_is_told_by_type_and_needs_none_with_an_env() -> None:
    mistake = from_exception(NoRegionError())
    assert mistake is not None and mistake.mistake is Mistake.NO_REGION
    assert "--env" in mistake.line()


def test_refused_credentials_are_told_by_their_error_code() -> None:
    expired = ClientError({"Error": {"Code": "ExpiredToken", "Message": "x"}}, "PutParameter")
    denied = ClientError({"Error": {"Code": "AccessDenied", "Message": "x"}}, "CreateRole")
    other = ClientError({"Error": {"Code": "ThrottlingException", "Message": "x"}}, "Query")
    assert (m := from_exception(expired)) and m.mistake is Mistake.CREDENTIALS_REFUSED
    assert (m := from_exception(denied)) and m.mistake is Mistake.NOT_ALLOWED
    assert from_exception(other) is None
    assert from_exception(KeyError("a bug")) is None


def _west_stage_in_the_east(config: dict[str, Any]) -> None:
    config["stages"]["prod-us-west-2"]["environment_variables"]["STAGE_REGION"] = "us-east-1"


def _no_policy_file(config: dict[str, Any]) -> None:
    del config["stages"]["dev-us-east-1"]["iam_policy_file"]


def _bad_setting(config: dict[str, Any]) -> None:
    config["environment_variables"]["DISPLAY_TIMEZONE"] = "Mars/Olympus_Mons"


@pytest.mark.parametrize(
    ("edit", "argv", "words"),
    [
        (None, ["redrive", "--env", "staging"], ["no staging-<region> stage", "--env dev"]),
        (None, ["backfill", "--env", "staging"], ["no staging-<region> stage"]),
        (None, ["provision", "--env", "staging"], ["no staging-<region> stage"]),
        (None, ["reindex", "--env", "staging"], ["no staging-<region> stage"]),
        (None, ["secrets", "--env", "staging"], ["no staging-<region> stage"]),
        (None, ["check", "--env", "staging"], ["no staging-<region> stage"]),
        (None, ["deploy", "--env", "staging"], ["no staging-<region> stage"]),
        (None, ["remove", "--env", "staging"], ["no staging-<region> stage"]),
        (None, ["remove", "--env", "prod", "--regions", "eu-west-1"], ["no stage prod-eu-west-1"]),
        (None, ["package", "--stage", "staging-us-east-1"], ["no stage staging-us-east-1"]),
        (None, ["redrive", "--env", "prod", "--regions", "eu-west-1"], ["no stage prod-eu-west-1"]),
        (_west_stage_in_the_east, ["check", "--env", "prod"], ["STAGE_REGION is us-east-1"]),
        (_no_policy_file, ["policies"], ["names no iam_policy_file", "manage.py policies"]),
        (_no_policy_file, ["check", "--env", "dev"], ["names no iam_policy_file"]),
        (_bad_setting, ["reindex", "--env", "dev"], ["DISPLAY_TIMEZONE", ".chalice/config.json"]),
    ],
    ids=lambda value: value.__name__ if callable(value) else None,
)
def test_config_mistakes(
    project: Path,
    edit: Callable[[dict[str, Any]], None] | None,
    argv: list[str],
    words: list[str],
) -> None:
    if edit:
        edit_config(project, edit)

    run = run_manage(*argv, "--project-dir", str(project))

    assert_one_line(run, *words)


def test_the_shells_region_does_not_matter_to_a_command_with_an_env(
    aws: None, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")

    run = run_manage("provision", "--env", "dev", "--project-dir", str(project))

    assert run.exit_code == 0, run.output
    assert boto3.client("dynamodb", region_name="us-east-1").list_tables()["TableNames"]


ORG_ONLY = [
    ("--dry-run",),
    ("--org-units", "ou-ab12-workload1"),
    ("--call-as", "SELF"),
    ("--org-regions", "us-east-1"),
]


@pytest.mark.parametrize("flag", ORG_ONLY, ids=lambda flag: flag[0])
def test_an_option_of_org_without_org_is_refused_not_ignored(
    project: Path, flag: tuple[str, ...]
) -> None:
    run = run_manage("deploy", "--env", "prod", *flag, "--project-dir", str(project))

    assert_one_line(run, f"{flag[0]} without --org", "add --org")


def test_remove_org_with_regions_is_refused(project: Path) -> None:
    run = run_manage(
        "remove", "--env", "prod", "--org", "--regions", "us-west-2", "--project-dir", str(project)
    )

    assert_one_line(run, "--regions with --org", "leave out --regions")
