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
from chalicelib.watchdog.organization import organization_findings
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
    """The stage's checks; in us-east-1 also each region's forwarding and, when the
    stage watches an organization, each account's (`organization_checks`)."""
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
        if settings.organization_watch:
            checks += organization_checks(
                stage,
                clients=clients,
                dynamodb=dynamodb(),
                table=settings.ledger_table,
                clock=clock,
            )
    return checks


def organization_checks(
    stage: StageIdentity, *, clients: Clients, dynamodb: Any, table: str, clock: Clock
) -> list[CheckSpec]:
    """One listing of the organization, read now; a spec per problem or hint it found,
    and one that says the listing ran (so a problem no longer found resolves). A
    listing that cannot be read is one problem, and resolves nothing."""
    region = stage.region
    try:
        findings = organization_findings(
            clients,
            region=region,
            own_account=stage.account,
            env=stage.env,
            dynamodb=dynamodb,
            table=table,
            now=clock(),
        )
    except Exception as error:
        failed = error
        return [CheckSpec(Check.ORG_INSTANCE, region, lambda: _raise(failed))]
    specs = [
        CheckSpec(check, region, partial(Finding.ok, check, region), sweeps=True)
        for check in (Check.ORG_INSTANCE, Check.ORG_QUIET)
    ]
    for finding in findings:
        specs.append(
            CheckSpec(
                finding.check,
                finding.region,
                partial(_found, finding),
                subject=finding.subject,
                sweeps=True,
            )
        )
    return specs


def _found(finding: Finding) -> Finding:
    return finding


def _raise(error: Exception) -> Finding:
    raise error
