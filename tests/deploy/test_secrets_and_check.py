"""GIVEN the Slack app's secrets WHEN `manage.py secrets --env dev` stores them (moto)
THEN each stage's region holds them as SecureStrings, the team id is in the dev stages,
a bad value writes nothing, and a second run changes nothing; `manage.py check` names
each problem left and its fix; `provision --env` works in the stage's ledger region."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.deploy.operator import (
    BOT_TOKEN,
    SIGNING_SECRET,
    TEAM_ID,
    WEBHOOK,
    Run,
    add_trail,
    edit_config,
    run_manage,
    stage_config_copy,
)
from tools.check import Level, Topic, check
from tools.mistakes import Mistake, OperatorError
from tools.secret_kinds import Secret
from tools.slack_secrets import store_secrets
from tools.stages import env_stages

REGIONS = ("us-east-1", "us-west-2")
WEBHOOK_PARAM = "/signin-alerts/dev/slack-webhook-url"
SIGNING_PARAM = "/signin-alerts/dev/slack-signing-secret"
BOT_PARAM = "/signin-alerts/dev/slack-bot-token"


@pytest.fixture
def project(aws: None, tmp_path: Path) -> Path:
    return stage_config_copy(tmp_path)


def clients(service: str, region: str) -> Any:
    return boto3.client(service, region_name=region)  # type: ignore[call-overload]


def secrets(project: Path, *argv: str) -> Run:
    return run_manage("secrets", "--env", "dev", *argv, "--project-dir", str(project))


def good(project: Path, *extra: str) -> Run:
    return secrets(project, "--webhook-url", WEBHOOK, "--signing-secret", SIGNING_SECRET, *extra)


def parameters(region: str) -> dict[str, tuple[str, str]]:
    ssm = boto3.client("ssm", region_name=region)
    found = ssm.get_parameters_by_path(Path="/", Recursive=True, WithDecryption=True)
    return {p["Name"]: (p["Type"], p["Value"]) for p in found["Parameters"]}


def config(project: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((project / ".chalice" / "config.json").read_text())
    return loaded


def stage_env(project: Path, stage: str) -> dict[str, str]:
    env: dict[str, str] = config(project)["stages"][stage]["environment_variables"]
    return env


def test_secrets_round_trip_in_every_region_of_the_env(project: Path) -> None:
    run = good(project)

    assert run.exit_code == 0, run.output
    for region in REGIONS:
        assert parameters(region) == {
            WEBHOOK_PARAM: ("SecureString", WEBHOOK),
            SIGNING_PARAM: ("SecureString", SIGNING_SECRET),
        }
    assert WEBHOOK not in run.output and SIGNING_SECRET not in run.output
    assert stage_env(project, "dev-us-east-1")["SLACK_TEAM_ID"] == TEAM_ID
    assert stage_env(project, "dev-us-west-2")["SLACK_TEAM_ID"] == TEAM_ID
    assert "SLACK_TEAM_ID" not in stage_env(project, "prod-us-east-1")


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--webhook-url", "hooks.slack.com/services/T0/B0/x"], ["--webhook-url", "https"]),
        (["--webhook-url", "https://example.com/services/T0/B0/x"], ["hooks.slack.com"]),
        (["--signing-secret", BOT_TOKEN], ["--signing-secret", "Slack token"]),
        (["--signing-secret", WEBHOOK], ["--signing-secret", "a URL"]),
        (["--bot-token", "xoxb-has space"], ["--bot-token", "whitespace"]),
        (["--bot-token", SIGNING_SECRET], ["--bot-token", "not a Slack token"]),
    ],
)
def test_a_bad_value_is_refused_in_one_line_and_nothing_is_written(
    project: Path, flags: list[str], words: list[str]
) -> None:
    values = {"--webhook-url": WEBHOOK, "--signing-secret": SIGNING_SECRET}
    values.update(dict(zip(flags[::2], flags[1::2], strict=True)))
    before = (project / ".chalice" / "config.json").read_text()

    run = secrets(project, *[part for pair in values.items() for part in pair])

    assert run.exit_code == 2
    assert run.err.count("\n") == 1 and "nothing was written" in run.err, run.err
    assert all(word in run.err for word in words), run.err
    assert all(value not in run.err for value in values.values())
    assert [parameters(region) for region in REGIONS] == [{}, {}]
    assert (project / ".chalice" / "config.json").read_text() == before


def test_a_missing_value_without_a_terminal_is_refused(project: Path) -> None:
    run = secrets(project, "--webhook-url", WEBHOOK)

    assert run.exit_code == 2
    assert "--signing-secret" in run.err and run.err.count("\n") == 1
    assert [parameters(region) for region in REGIONS] == [{}, {}]


def test_a_second_run_changes_nothing(project: Path) -> None:
    good(project)
    files = {path: path.read_text() for path in (project / ".chalice").iterdir()}
    first = [parameters(region) for region in REGIONS]

    again = good(project)

    assert again.exit_code == 0, again.output
    assert "config.json" not in again.out
    assert {path: path.read_text() for path in (project / ".chalice").iterdir()} == files
    assert [parameters(region) for region in REGIONS] == first


def test_a_bot_token_gets_its_parameter_and_policy(project: Path) -> None:
    run = good(project, "--bot-token", BOT_TOKEN)

    assert run.exit_code == 0, run.output
    assert parameters("us-west-2")[BOT_PARAM] == ("SecureString", BOT_TOKEN)
    assert stage_env(project, "dev-us-west-2")["SLACK_BOT_TOKEN_PARAM"] == BOT_PARAM
    policy = (project / ".chalice" / "policy-dev-us-west-2.json").read_text()
    assert f"parameter{BOT_PARAM}" in policy
    assert "wrote .chalice/policy-dev-us-west-2.json" in run.out


def check_run(project: Path) -> Run:
    return run_manage("check", "--env", "dev", "--project-dir", str(project))


def test_check_refuses_a_fresh_env_naming_each_problem_and_its_fix(project: Path) -> None:
    run = check_run(project)

    assert run.exit_code == 2
    assert "Traceback" not in run.output
    problems = check(
        clients,
        env_stages("dev", project_dir=project),
        project,
    )
    topics = sorted({(p.topic, p.level) for p in problems}, key=str)
    assert topics == sorted(
        {
            (Topic.SECRET_MISSING, Level.PROBLEM),
            (Topic.TEAM_ID, Level.PROBLEM),
            (Topic.TRAIL, Level.PROBLEM),
            (Topic.ALARM_SUBSCRIBER, Level.WARNING),
        },
        key=str,
    )
    assert len([p for p in problems if p.topic is Topic.SECRET_MISSING]) == 4
    for problem in problems:
        assert problem.line() in run.err
    assert "fix: python manage.py secrets --env dev" in run.err


def test_check_passes_after_secrets_and_a_trail(project: Path) -> None:
    good(project)
    add_trail(clients)

    run = check_run(project)

    assert run.exit_code == 0, run.output
    assert "ready to deploy" in run.out
    assert "warning: dev-us-east-1: no ALARM_EMAIL" in run.out

    edit_config(project, lambda c: c["environment_variables"].update(ALARM_EMAIL="a@example.com"))
    assert "warning" not in check_run(project).out

    routed = {"SLACK_CHANNEL_BY_ACCOUNT": "Payments-*=C0PAY"}
    edit_config(project, lambda c: c["environment_variables"].update(routed))
    assert (
        "warning: dev-us-east-1: SLACK_CHANNEL_BY_ACCOUNT needs the Web API: a webhook posts "
        "only where it was made" in check_run(project).out
    )


def test_check_finds_a_stale_policy_a_bad_secret_and_a_bot_without_a_channel(
    project: Path,
) -> None:
    good(project, "--bot-token", BOT_TOKEN)
    add_trail(clients)
    (project / ".chalice" / "policy-dev-us-east-1.json").unlink()
    boto3.client("ssm", region_name="us-west-2").put_parameter(
        Name=SIGNING_PARAM, Value=BOT_TOKEN, Type="SecureString", Overwrite=True
    )

    run = check_run(project)

    assert run.exit_code == 2
    assert (
        "dev-us-east-1: policy-dev-us-east-1.json is missing; fix: python manage.py policies"
        in (run.err)
    )
    assert (
        f"dev-us-west-2: SSM parameter {SIGNING_PARAM} (signing secret) is a Slack token" in run.err
    )
    assert BOT_TOKEN not in run.err
    assert "a bot token posts nowhere without SLACK_CHANNEL" in run.err


def test_provision_writes_to_the_stages_ledger_region_not_the_shells(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-2")

    run = run_manage("provision", "--env", "dev", "--project-dir", str(project))

    assert run.exit_code == 0, run.output
    assert "ledger table signin-alerts-ledger-dev in us-east-1: created" in run.out
    east = boto3.client("dynamodb", region_name="us-east-1").list_tables()["TableNames"]
    west = boto3.client("dynamodb", region_name="us-west-2").list_tables()["TableNames"]
    assert (east, west) == (["signin-alerts-ledger-dev"], [])


def test_reindex_reads_the_stages_ledger_whatever_the_shells_region(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_manage("provision", "--env", "dev", "--project-dir", str(project)).exit_code == 0
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")

    run = run_manage("reindex", "--env", "dev", "--project-dir", str(project))

    assert run.exit_code == 0, run.output
    assert "ledger table signin-alerts-ledger-dev in us-east-1" in run.out
    assert "0 sign-ins older than schema" in run.out


def test_provision_without_an_env_makes_the_configs_ledger_not_the_shells(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-2")
    monkeypatch.delenv("LEDGER_TABLE", raising=False)
    monkeypatch.delenv("LEDGER_REGION", raising=False)

    run = run_manage("provision", "--project-dir", str(project))

    assert run.exit_code == 0, run.output
    assert "ledger table signin-alerts-ledger in us-east-1: created" in run.out
    assert clients("dynamodb", "us-west-2").list_tables()["TableNames"] == []


def test_a_value_left_out_is_asked_for_in_a_terminal(project: Path) -> None:
    asked: list[str] = []

    def ask(prompt: str) -> str:
        asked.append(prompt)
        return SIGNING_SECRET

    written = store_secrets(
        lambda region: clients("ssm", region),
        "dev",
        {Secret.WEBHOOK_URL: WEBHOOK},
        project_dir=project,
        ask=ask,
    )

    assert asked == ["Slack signing secret (not shown): "]
    assert (REGIONS[1], SIGNING_PARAM) in written.parameters
    assert parameters("us-west-2")[SIGNING_PARAM] == ("SecureString", SIGNING_SECRET)


def test_a_bad_answer_to_the_prompt_writes_nothing(project: Path) -> None:
    with pytest.raises(OperatorError) as refused:
        store_secrets(
            lambda region: clients("ssm", region),
            "dev",
            {Secret.WEBHOOK_URL: WEBHOOK},
            project_dir=project,
            ask=lambda prompt: BOT_TOKEN,
        )

    assert refused.value.mistake is Mistake.BAD_VALUE
    assert [parameters(region) for region in REGIONS] == [{}, {}]


def test_check_refuses_a_stage_with_no_slack_destination(project: Path) -> None:
    def no_webhook(config: dict[str, Any]) -> None:
        for stage in ("dev-us-east-1", "dev-us-west-2"):
            del config["stages"][stage]["environment_variables"]["SLACK_WEBHOOK_URL_PARAM"]

    edit_config(project, no_webhook)

    run = check_run(project)

    assert run.exit_code == 2
    assert "dev-us-east-1: neither a webhook nor a bot token" in run.err

    again = good(project)
    assert again.exit_code == 0, again.output
    assert stage_env(project, "dev-us-east-1")["SLACK_WEBHOOK_URL_PARAM"] == WEBHOOK_PARAM
    assert "neither a webhook" not in check_run(project).output
