"""The stages in `.chalice/config.json`, as the operator tools see them.

A stage is named `<env>-<region>` and says its region again in `STAGE_REGION`; the
names of everything the tools create next to Chalice's resources derive from it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib.settings import Settings
from tools.mistakes import Mistake, OperatorError

APP_NAME = "signin-alerts"
PROJECT_DIR = Path(__file__).resolve().parent.parent
SECRET_SETTINGS = ("SLACK_WEBHOOK_URL", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")


class StageError(OperatorError):
    """The config and the requested env, stage or region disagree."""


@dataclass(frozen=True)
class Stage:
    name: str
    env: str
    region: str
    environment: dict[str, str]
    policy_file: str

    @property
    def ledger_table(self) -> str:
        """Each env names its own (`signin-alerts-ledger-<env>` in the shipped config);
        a stage that names none uses the app's default, as its Lambda would."""
        return self.environment.get("LEDGER_TABLE") or Settings().ledger_table

    @property
    def ledger_region(self) -> str:
        return self.environment.get("LEDGER_REGION") or self.region

    @property
    def secret_parameters(self) -> dict[str, str]:
        """Setting name -> SSM parameter name, for the secrets this stage reads from SSM."""
        return {
            setting: self.environment[f"{setting}_PARAM"]
            for setting in SECRET_SETTINGS
            if self.environment.get(f"{setting}_PARAM")
        }

    @property
    def function_prefix(self) -> str:
        """Chalice names the functions `<app>-<stage>` (API) and `<app>-<stage>-<name>`."""
        return f"{APP_NAME}-{self.name}"

    @property
    def failure_queue(self) -> str:
        """Where Lambda's on-failure destination and the rule's DLQ park undelivered events."""
        return f"{APP_NAME}-{self.name}-undelivered"


def stage_name(env: str, region: str) -> str:
    return f"{env}-{region}"


def config_path(project_dir: Path = PROJECT_DIR) -> Path:
    return project_dir / ".chalice" / "config.json"


def load_config(project_dir: Path = PROJECT_DIR) -> dict[str, Any]:
    path = config_path(project_dir)
    if not path.exists():
        raise StageError(
            Mistake.STAGE_CONFIG,
            f"no {path}",
            "run manage.py from the project's directory (or pass --project-dir)",
        )
    try:
        config: dict[str, Any] = json.loads(path.read_text())
    except ValueError as error:
        raise StageError(
            Mistake.STAGE_CONFIG, f"{path} is not JSON ({error})", "fix the file"
        ) from None
    return config


def save_config(config: dict[str, Any], project_dir: Path = PROJECT_DIR) -> None:
    config_path(project_dir).write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n")


def load_stages(project_dir: Path = PROJECT_DIR) -> dict[str, Stage]:
    config = load_config(project_dir)
    shared = dict(config.get("environment_variables", {}))
    stages: dict[str, Stage] = {}
    for name, stage in config.get("stages", {}).items():
        environment = {**shared, **stage.get("environment_variables", {})}
        region = environment.get("STAGE_REGION", "")
        env, _, name_region = name.partition("-")
        if not region or region != name_region:
            raise StageError(
                Mistake.WRONG_REGION,
                f"stage {name}: STAGE_REGION is {region or 'missing'}, the name says "
                f"{name_region or 'no region'}",
                "name stages <env>-<region> and set STAGE_REGION to that region in "
                ".chalice/config.json",
            )
        policy_file = stage.get("iam_policy_file", "")
        if not policy_file:
            raise StageError(
                Mistake.MISSING_POLICY_FILE,
                f"stage {name} names no iam_policy_file",
                f'add "iam_policy_file": "policy-{name}.json" to it in .chalice/config.json, '
                "then run `python manage.py policies`",
            )
        stages[name] = Stage(name, env, region, environment, policy_file)
    return stages


def stage_for(env: str, region: str, project_dir: Path = PROJECT_DIR) -> Stage:
    return stage_named(stage_name(env, region), project_dir)


def stage_named(name: str, project_dir: Path = PROJECT_DIR, *, pick: str = "pick one of") -> Stage:
    """The stage called `name`; an unknown one is an operator mistake naming the known
    ones (`pick` says how to give one, e.g. `make package STAGE=` one of them)."""
    stages = load_stages(project_dir)
    if name not in stages:
        raise StageError(
            Mistake.UNKNOWN_STAGE,
            f"no stage {name} in .chalice/config.json",
            f"{pick} {', '.join(sorted(stages)) or 'none (add a stage)'}",
        )
    return stages[name]


def regions_of(env: str, project_dir: Path = PROJECT_DIR) -> list[str]:
    return sorted(stage.region for stage in load_stages(project_dir).values() if stage.env == env)


def env_stages(
    env: str, regions: list[str] | None = None, project_dir: Path = PROJECT_DIR
) -> list[Stage]:
    """The env's stages (those in `regions` when given), by region; an env without a
    stage, or a region without one, is the operator's mistake."""
    stages = load_stages(project_dir)
    envs = sorted({stage.env for stage in stages.values()})
    if env not in envs:
        raise StageError(
            Mistake.UNKNOWN_ENV,
            f"no {env}-<region> stage in .chalice/config.json",
            "use --env " + " or --env ".join(envs) if envs else "add a stage to the config",
        )
    if regions:
        return [stage_for(env, region, project_dir) for region in regions]
    return sorted((stage for stage in stages.values() if stage.env == env), key=lambda s: s.region)


def ledger_of(stages: list[Stage]) -> tuple[str, str]:
    """The one ledger (table, region) the stages share: an env's stages must agree."""
    ledgers = sorted({(stage.ledger_table, stage.ledger_region) for stage in stages})
    if len(ledgers) != 1:
        raise StageError(
            Mistake.STAGE_CONFIG,
            f"the stages {', '.join(s.name for s in stages)} name "
            f"{len(ledgers)} ledgers ({', '.join(f'{t} in {r}' for t, r in ledgers)})",
            "give an env's stages one LEDGER_TABLE and LEDGER_REGION, or pass --regions",
        )
    return ledgers[0]
