"""ORGANIZATION_WATCH on the env's us-east-1 stage: `deploy --org` turns it on,
`remove --org` turns it off.

`.chalice/config.json` stays the one source of truth: the setting is written there, and
the stage's policy file rewritten from it (tools/policy.py: the watchdog may then list the
stack set's instances and the organization's accounts), before `chalice deploy` puts both
on the stage. A setting that already says so is left alone, so a second run changes
nothing. What the deployed stage runs with is read from its watchdog function.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chalicelib.settings import Settings
from chalicelib.watchdog.findings import FORWARDING_CHECKER_REGION
from tools.policy import policy_path, render
from tools.stages import Stage, load_config, load_stages, save_config, stage_name

WATCH_SETTING = "ORGANIZATION_WATCH"
WATCHDOG_FUNCTION = "watchdog"


def watching_stage(env: str, project_dir: Path) -> Stage | None:
    """The stage whose watchdog checks the organization (the us-east-1 one), if any."""
    return load_stages(project_dir).get(stage_name(env, FORWARDING_CHECKER_REGION))


def watches(stage: Stage) -> bool:
    return Settings.from_env(stage.environment).organization_watch


def set_watch(
    env: str, project_dir: Path, on: bool, changes: list[str], *, dry_run: bool
) -> Stage | None:
    """The us-east-1 stage with ORGANIZATION_WATCH `on` in the config and its policy file
    to match; `changes` says what was (or, `dry_run`, would be) rewritten."""
    stage = watching_stage(env, project_dir)
    if stage is None or watches(stage) == on:
        return stage
    config = load_config(project_dir)
    environment = config["stages"][stage.name].setdefault("environment_variables", {})
    shared = config.get("environment_variables", {})
    # Off: the stage's own value goes, unless the shared settings would then turn it on.
    if on or Settings.from_env(shared).organization_watch:
        environment[WATCH_SETTING] = "true" if on else "false"
    else:
        environment.pop(WATCH_SETTING, None)
    path = policy_path(stage, project_dir)
    grants = "may" if on else "may no longer"
    changes.append(
        f"{stage.name}: {WATCH_SETTING}={'true' if on else 'false'} in .chalice/config.json; "
        f".chalice/{path.name} rewritten (its watchdog {grants} read the organization's "
        "stack instances and accounts)"
    )
    if dry_run:
        return stage
    save_config(config, project_dir)
    stage = load_stages(project_dir)[stage.name]
    path.write_text(render(stage))
    return stage


def deployed_watch(session: Any, stage: Stage) -> bool | None:
    """Whether the deployed stage's watchdog runs with ORGANIZATION_WATCH on; None when
    the stage is not deployed."""
    lambda_client = session.client("lambda", region_name=stage.region)
    try:
        configuration = lambda_client.get_function_configuration(
            FunctionName=f"{stage.function_prefix}-{WATCHDOG_FUNCTION}"
        )
    except lambda_client.exceptions.ResourceNotFoundException:
        return None
    variables = configuration.get("Environment", {}).get("Variables", {})
    return Settings.from_env(variables).organization_watch
