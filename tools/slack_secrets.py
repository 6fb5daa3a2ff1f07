"""`manage.py secrets --env ENV`: the Slack secrets as SSM SecureStrings in every region
of the env's stages, and the workspace's team id in the stages' settings.

Every value is checked with the app's own rule (tools/secret_kinds.py) before anything
is written: a bad one is refused in one line and nothing changes. Parameters are
overwritten, so running it again (a new value, or the same) is safe. A value not given
is asked for without echo when stdin is a terminal. The team id comes from the webhook
URL (`/services/T.../...`) and is recorded as `SLACK_TEAM_ID` in the env's stages of
.chalice/config.json; a bot token for stages that name no parameter for it gets one
(`/signin-alerts/<env>/slack-bot-token`), and their policy files are rewritten so the
functions may read it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.cli import add_env_options, session
from tools.mistakes import Mistake, OperatorError
from tools.policy import policy_path, render
from tools.secret_kinds import Secret, shape_problem, team_id_from_webhook
from tools.stages import Stage, env_stages, load_config, save_config

Ask = Callable[[str], str]  # prompt -> the value typed (not echoed)


@dataclass
class SecretsWritten:
    parameters: list[tuple[str, str]] = field(default_factory=list)  # (region, name)
    settings: list[str] = field(default_factory=list)  # "<stage>: NAME=value" recorded
    policy_files: list[str] = field(default_factory=list)  # rewritten
    team_id: str | None = None


def wanted(stages: list[Stage], given: dict[Secret, str]) -> list[Secret]:
    """The secrets to write: those the stages read from SSM, and any other given."""
    named = {
        secret for secret in Secret if any(s.environment.get(secret.param_setting) for s in stages)
    }
    return [secret for secret in Secret if secret in named or secret in given]


def gather(stages: list[Stage], given: dict[Secret, str], ask: Ask | None) -> dict[Secret, str]:
    """Every wanted value, asked for when missing (and a terminal is there), each checked;
    the first missing or bad one is refused before anything is written."""
    values: dict[Secret, str] = {}
    for secret in wanted(stages, given):
        value = given.get(secret, "").strip()
        if not value and ask is not None:
            value = ask(f"Slack {secret.label} (not shown): ").strip()
        if not value:
            raise OperatorError(
                Mistake.MISSING_VALUE,
                f"the {stages[0].env} stages read {secret.param_setting}, "
                f"and no {secret.label} was given",
                f"pass {secret.flag} (or run it in a terminal to be asked)",
            )
        problem = shape_problem(secret, value)
        if problem:
            raise OperatorError(
                Mistake.BAD_VALUE,
                f"{secret.flag}: the value {problem}; nothing was written",
                "copy it again from the Slack app's settings (docs/deploy.md, step 1)",
            )
        values[secret] = value
    return values


def parameter_names(stages: list[Stage], secret: Secret) -> list[tuple[Stage, str]]:
    return [
        (stage, stage.environment.get(secret.param_setting) or secret.default_parameter(stage.env))
        for stage in stages
    ]


def write_parameters(
    ssm_for: Callable[[str], Any], stages: list[Stage], values: dict[Secret, str]
) -> list[tuple[str, str]]:
    written: list[tuple[str, str]] = []
    for secret, value in values.items():
        for stage, name in parameter_names(stages, secret):
            if (stage.region, name) in written:
                continue
            ssm_for(stage.region).put_parameter(
                Name=name, Value=value, Type="SecureString", Overwrite=True
            )
            written.append((stage.region, name))
    return written


def record_settings(
    project_dir: Path, stages: list[Stage], values: dict[Secret, str], team_id: str | None
) -> list[str]:
    """SLACK_TEAM_ID and any parameter name the stages lacked, in config.json.
    Idempotent: an unchanged config is not rewritten."""
    config = load_config(project_dir)
    changes: list[str] = []
    for stage in stages:
        environment = config["stages"][stage.name].setdefault("environment_variables", {})
        wanted_settings = {
            secret.param_setting: name
            for secret in values
            for named_stage, name in parameter_names([stage], secret)
            if not named_stage.environment.get(secret.param_setting)
        }
        known = stage.environment.get("SLACK_TEAM_ID", "").replace(" ", "").split(",")
        if team_id and team_id not in known:
            wanted_settings["SLACK_TEAM_ID"] = team_id
        for setting, value in wanted_settings.items():
            environment[setting] = value
            changes.append(f"{stage.name}: {setting}={value}")
    if changes:
        save_config(config, project_dir)
    return changes


def refresh_policies(project_dir: Path, stages: list[Stage]) -> list[str]:
    """The stages' policy files, rewritten where the settings now say otherwise."""
    written = []
    for stage in env_stages(stages[0].env, [s.region for s in stages], project_dir):
        path = policy_path(stage, project_dir)
        if not path.exists() or path.read_text() != render(stage):
            path.write_text(render(stage))
            written.append(f".chalice/{path.name}")
    return written


def store_secrets(
    ssm_for: Callable[[str], Any],
    env: str,
    given: dict[Secret, str],
    *,
    regions: list[str] | None = None,
    project_dir: Path,
    ask: Ask | None = None,
) -> SecretsWritten:
    stages = env_stages(env, regions, project_dir)
    values = gather(stages, given, ask)
    result = SecretsWritten()
    result.parameters = write_parameters(ssm_for, stages, values)
    webhook = values.get(Secret.WEBHOOK_URL)
    result.team_id = team_id_from_webhook(webhook) if webhook else None
    result.settings = record_settings(project_dir, stages, values, result.team_id)
    if result.settings:
        result.policy_files = refresh_policies(project_dir, stages)
    return result


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "secrets", help="store the Slack secrets in SSM for every region of an env"
    )
    add_env_options(parser)
    for secret in Secret:
        parser.add_argument(secret.flag, default="", help=f"the Slack app's {secret.label}")
    parser.set_defaults(run=run)


def _terminal_ask() -> Ask | None:
    if not sys.stdin.isatty():
        return None
    import getpass

    return getpass.getpass


def run(args: argparse.Namespace) -> int:
    aws = session()
    given = {
        secret: value
        for secret in Secret
        if (value := getattr(args, secret.flag.removeprefix("--").replace("-", "_")))
    }
    result = store_secrets(
        lambda region: aws.client("ssm", region_name=region),
        args.env,
        given,
        regions=args.regions,
        project_dir=args.project_dir,
        ask=_terminal_ask(),
    )
    for name in dict.fromkeys(name for _, name in result.parameters):
        regions = [region for region, written in result.parameters if written == name]
        print(f"SecureString {name} in {', '.join(regions)}")
    for setting in result.settings:
        print(f".chalice/config.json: {setting}")
    for path in result.policy_files:
        print(f"wrote {path} (the functions may read the new parameter)")
    if result.team_id is None and not any(
        s.environment.get("SLACK_TEAM_ID")
        for s in env_stages(args.env, args.regions, args.project_dir)
    ):
        print(
            "SLACK_TEAM_ID: not found in a webhook URL; set it in .chalice/config.json "
            "(the T... id under About this workspace)"
        )
    print(f"next: python manage.py check --env {args.env}")
    return 0
