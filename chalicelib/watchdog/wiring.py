"""The `watchdog` schedule's body: the stage's checks, with the container's clients."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Protocol

from chalicelib.clock import Clock, utc_now
from chalicelib.settings import SecretResolver, Settings
from chalicelib.slack.delivery import SlackNotifier
from chalicelib.watchdog.checks import stage_checks
from chalicelib.watchdog.findings import StageIdentity
from chalicelib.watchdog.forwarded import read_forwarding
from chalicelib.watchdog.run import Watchdog
from chalicelib.watchdog.state import WatchdogState


class Parts(Protocol):
    """What the watchdog takes from the container."""

    @property
    def settings(self) -> Settings: ...
    @property
    def dynamodb(self) -> Any: ...
    @property
    def env(self) -> Any: ...
    def aws_client(self, service: str, region: str | None = None) -> Any: ...
    def notifier(self) -> SlackNotifier: ...


def identity_of(parts: Parts, context: Any) -> StageIdentity:
    """From the function's own ARN; local runs (no ARN) name the stage in WATCHDOG_STAGE."""
    arn = str(getattr(context, "invoked_function_arn", "") or "")
    if not arn:
        env = parts.env
        region = env.get("AWS_REGION") or env.get("STAGE_REGION") or "us-east-1"
        account = parts.aws_client("sts", region).get_caller_identity()["Account"]
        stage = env.get("WATCHDOG_STAGE") or f"local-{region}"
        arn = f"arn:aws:lambda:{region}:{account}:function:signin-alerts-{stage}-watchdog"
    return StageIdentity.from_lambda(arn, parts.env)


def run_watchdog(
    parts: Parts, context: Any, *, deadline: float, clock: Clock = utc_now
) -> dict[str, Any]:
    settings = parts.settings
    if not settings.watchdog_enabled:
        return {"watchdog": "disabled"}
    stage = identity_of(parts, context)
    clients: dict[tuple[str, str], Any] = {}

    def client(service: str, region: str) -> Any:
        if (service, region) not in clients:
            clients[service, region] = parts.aws_client(service, region)
        return clients[service, region]

    def post(message: dict[str, Any]) -> None:
        parts.notifier().post(message, deadline=deadline)

    watchdog = Watchdog(
        stage=stage.name,
        state=WatchdogState(parts.dynamodb, settings.ledger_table),
        post=post,
        clock=clock,
        remind_after=timedelta(hours=settings.watchdog_remind_hours),
    )
    checks = stage_checks(
        stage,
        settings=settings,
        clients=client,
        # Fresh each run: a secret deleted or rotated since the cold start shows.
        secrets=lambda: SecretResolver(lambda: client("ssm", stage.region)),
        dynamodb=lambda: parts.dynamodb,
        forwarding=lambda: read_forwarding(parts.dynamodb, settings.ledger_table, stage.env),
        clock=clock,
    )
    return {"watchdog": stage.name, **watchdog.run(checks).to_dict()}
