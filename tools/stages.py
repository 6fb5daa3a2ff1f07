"""The stages in `.chalice/config.json`, as the operator tools see them.

A stage is named `<env>-<region>` and says its region again in `STAGE_REGION`; the
names of everything the tools create next to Chalice's resources derive from it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

APP_NAME = "signin-alerts"
PROJECT_DIR = Path(__file__).resolve().parent.parent
SECRET_SETTINGS = ("SLACK_WEBHOOK_URL", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")


class StageError(ValueError):
    """The config and the requested stage or region disagree; the message says how."""


@dataclass(frozen=True)
class Stage:
    name: str
    env: str
    region: str
    environment: dict[str, str]
    policy_file: str

    @property
    def ledger_table(self) -> str:
        return self.environment.get("LEDGER_TABLE", "signin-alerts-ledger")

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


def load_config(project_dir: Path = PROJECT_DIR) -> dict[str, Any]:
    config: dict[str, Any] = json.loads((project_dir / ".chalice" / "config.json").read_text())
    return config


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
                f"stage {name}: STAGE_REGION is {region or 'missing'}, the name says "
                f"{name_region or 'no region'}; name stages <env>-<region>"
            )
        stages[name] = Stage(name, env, region, environment, stage.get("iam_policy_file", ""))
    return stages


def stage_for(env: str, region: str, project_dir: Path = PROJECT_DIR) -> Stage:
    stages = load_stages(project_dir)
    name = stage_name(env, region)
    if name not in stages:
        raise StageError(
            f"no stage {name} in .chalice/config.json (have: {', '.join(sorted(stages))})"
        )
    return stages[name]


def regions_of(env: str, project_dir: Path = PROJECT_DIR) -> list[str]:
    return sorted(stage.region for stage in load_stages(project_dir).values() if stage.env == env)
