"""The clients, settings and deadlines every part of the app shares, built once per
Lambda container. Importing this imports no AWS library: botocore loads on first use."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import Any

from chalicelib import logs
from chalicelib.alerting.values import Step
from chalicelib.aws_clients import CallLimits, InvocationDeadline
from chalicelib.clock import REAL_TIME, Clocks
from chalicelib.organization.reader import ORGANIZATIONS_REGION
from chalicelib.organization.trust import home_account
from chalicelib.settings import SecretResolver, Settings

# /recent-logins must answer within Slack's 3 s: its clients try once, briefly, and the
# reply says the ledger could not be read (the user can ask again).
SLASH_CONNECT_TIMEOUT_SECONDS = 0.5
SLASH_READ_TIMEOUT_SECONDS = 1.0
SLASH_MAX_ATTEMPTS = 1


class ContainerClients:
    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        clocks: Clocks = REAL_TIME,
        on_step: Callable[[Step], None] = lambda step: None,
    ) -> None:
        self._env = os.environ if env is None else env
        # Every part reads time from this one source (tests pass one that skips waits):
        # what is stored, what paces Slack, what deadlines are measured on.
        self.clocks = clocks
        self._on_step = on_step  # an observer of the pipeline's steps
        # Set by each handler as it starts; every AWS call it makes fits before it.
        self.deadline = InvocationDeadline(clocks.monotonic)
        self.slash_deadline = InvocationDeadline(clocks.monotonic)
        # The account the app runs in, from the Lambda context's function ARN ("" until
        # an invocation tells it, and in local runs): the only trusted one when no
        # organization can be read.
        self.home_account = ""
        logs.protect()

    def invocation(self, context: Any) -> float:
        """Start an event handler's invocation: its deadline, which the AWS clients
        keep, and the account it runs in."""
        arn = getattr(context, "invoked_function_arn", "")
        self.home_account = home_account(arn if isinstance(arn, str) else "") or self.home_account
        return self.deadline.start_for(context)

    @cached_property
    def settings(self) -> Settings:
        return Settings.from_env(self._env)

    @cached_property
    def call_limits(self) -> CallLimits:
        settings = self.settings
        return CallLimits(
            connect_timeout=settings.aws_connect_timeout_seconds,
            read_timeout=settings.aws_read_timeout_seconds,
            max_attempts=settings.aws_max_attempts,
        )

    @cached_property
    def slash_call_limits(self) -> CallLimits:
        return self.call_limits.tightened(
            connect=SLASH_CONNECT_TIMEOUT_SECONDS,
            read=SLASH_READ_TIMEOUT_SECONDS,
            max_attempts=SLASH_MAX_ATTEMPTS,
        )

    @cached_property
    def _session(self) -> Any:
        # One session per container: building one loads botocore's data files, and its
        # loader keeps each service model it read for the next client. botocore's own
        # session, not boto3's: boto3 only adds resources and S3 transfers (s3transfer),
        # which no handler uses and every cold start would import.
        import botocore.session

        return botocore.session.get_session()

    def _client(self, service: str, region: str | None = None, *, slash: bool = False) -> Any:
        """A client with timeouts and attempts from the settings, each attempt fitted
        into the time its handler has left (`/recent-logins` has its own, shorter)."""
        # AWS_REGION in the settings' environment (Lambda sets it) wins over the session's
        # default, so an operator tool can build a container for another region's stage.
        region = region or self._env.get("AWS_REGION") or None
        limits = self.slash_call_limits if slash else self.call_limits
        client = self._session.create_client(
            service, region_name=region, config=limits.botocore_config()
        )
        return (self.slash_deadline if slash else self.deadline).guard(client, limits)

    @cached_property
    def dynamodb(self) -> Any:
        return self._client("dynamodb", self.settings.ledger_region)

    @cached_property
    def slash_dynamodb(self) -> Any:
        """/recent-logins' reads: a hung table is a reply within Slack's 3 s."""
        return self._client("dynamodb", self.settings.ledger_region, slash=True)

    @cached_property
    def organizations(self) -> Any:
        """AWS Organizations, a global service: us-east-1's endpoint, whatever the stage."""
        return self._client("organizations", ORGANIZATIONS_REGION)

    @cached_property
    def secrets(self) -> SecretResolver:
        return SecretResolver(lambda: self._client("ssm"))

    @cached_property
    def slash_secrets(self) -> SecretResolver:
        return SecretResolver(lambda: self._client("ssm", slash=True))

    @property
    def env(self) -> Mapping[str, str]:
        return self._env

    def aws_client(self, service: str, region: str | None = None) -> Any:
        return self._client(service, region)

    @property
    def stage_name(self) -> str:
        """This stage (`dev-us-east-1`): the API handler is `signin-alerts-<stage>`;
        local runs name it in WATCHDOG_STAGE, as the watchdog's do."""
        env = self.env
        function = env.get("AWS_LAMBDA_FUNCTION_NAME", "")
        region = env.get("AWS_REGION") or env.get("STAGE_REGION") or "us-east-1"
        derived = function.removeprefix("signin-alerts-") if function else f"local-{region}"
        return env.get("WATCHDOG_STAGE") or derived
