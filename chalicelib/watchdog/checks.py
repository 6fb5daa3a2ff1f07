"""The checks one stage's watchdog runs, each bound to its clients (built lazily)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from chalicelib.clock import Clock
from chalicelib.settings import SecretResolver, Settings
from chalicelib.watchdog.credentials import signing_secret_finding, slack_finding
from chalicelib.watchdog.findings import (
    FORWARDING_CHECKER_REGION,
    Check,
    Finding,
    StageIdentity,
)
from chalicelib.watchdog.last_signin import last_signin_finding
from chalicelib.watchdog.pipeline import (
    CHANGE_RULE_KIND,
    Clients,
    forwarding_finding,
    rule_finding,
    signin_rule_finding,
    trail_finding,
    undelivered_finding,
)
from chalicelib.watchdog.run import CheckSpec


def deploy_command(stage: StageIdentity) -> str:
    return f"python manage.py deploy --env {stage.env} --regions {stage.region}"


def stage_checks(
    stage: StageIdentity,
    *,
    settings: Settings,
    clients: Clients,
    secrets: Callable[[], SecretResolver],
    dynamodb: Callable[[], Any],
    forwarding: Callable[[], Mapping[str, str]],
    clock: Clock,
) -> list[CheckSpec]:
    region = stage.region
    deploy = deploy_command(stage)
    checks = [
        CheckSpec(Check.SLACK, region, lambda: slack_finding(settings, secrets(), region)),
        CheckSpec(Check.TRAIL, region, lambda: trail_finding(clients, region)),
        CheckSpec(
            Check.SIGNIN_RULE,
            region,
            lambda: signin_rule_finding(
                clients, region, stage.signin_rule, stage.signin_function_arn, deploy
            ),
        ),
        CheckSpec(
            Check.CHANGE_RULE,
            region,
            lambda: rule_finding(
                clients,
                region,
                stage.change_rule,
                stage.change_function_arn,
                deploy,
                CHANGE_RULE_KIND,
            ),
        ),
        CheckSpec(
            Check.UNDELIVERED,
            region,
            lambda: undelivered_finding(
                clients, region, stage.undelivered_queue, stage.env, clock(), deploy
            ),
        ),
        CheckSpec(
            Check.SIGNING_SECRET,
            region,
            lambda: signing_secret_finding(settings, secrets(), region),
        ),
        CheckSpec(
            Check.LAST_SIGNIN,
            region,
            lambda: last_signin_finding(dynamodb(), settings.ledger_table, region, clock()),
        ),
    ]
    if region == FORWARDING_CHECKER_REGION:
        try:
            routes = forwarding()
        except Exception as error:  # reported like any check that cannot run
            failed = error
            checks.append(CheckSpec(Check.FORWARDING, region, lambda: _raise(failed)))
            routes = {}
        for source, target in sorted(routes.items()):
            check = partial(forwarding_finding, clients, stage.env, source, target)
            checks.append(CheckSpec(Check.FORWARDING, source, check, subject=source))
    return checks


def _raise(error: Exception) -> Finding:
    raise error
