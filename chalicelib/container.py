"""Builds the app's parts once per Lambda container, each when first needed.

Importing this module imports no AWS or Slack library: a cold start pays for boto3
only when a handler first touches DynamoDB, and for slack_sdk only when it first posts.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from functools import cached_property
from typing import Any

from chalicelib.alerting.digest import run_daily_digest
from chalicelib.alerting.pipeline import SigninAlerter
from chalicelib.alerting.storms import StormControl
from chalicelib.clock import Clock, utc_now
from chalicelib.confirm.answers import Interactions
from chalicelib.confirm.asking import Confirmations
from chalicelib.confirm.ledger import ConfirmLedger
from chalicelib.confirm.slack_api import SlackApi
from chalicelib.confirm.sweep import Escalations
from chalicelib.confirm.users import UserFinder
from chalicelib.judge.bursts import thresholds
from chalicelib.judge.rules import in_trusted_network
from chalicelib.recent_logins.handler import RecentLogins
from chalicelib.settings import ConfigError, SecretResolver, Settings
from chalicelib.slack.delivery import (
    RetryPolicy,
    SlackNotifier,
    Transport,
    WebApiTransport,
    WebhookTransport,
)
from chalicelib.slack.verify import RequestVerifier
from chalicelib.store.bursts import BurstStore
from chalicelib.store.day_tally import DayTally
from chalicelib.store.history import SigninHistory
from chalicelib.store.ledger import Ledger
from chalicelib.store.places import PlaceStore
from chalicelib.store.send_slots import SendSlots

# When the Lambda context cannot tell us (local runs), assume this much time is left.
DEFAULT_REMAINING_MS = 30_000


def deadline_from(context: Any) -> float:
    """The Lambda's deadline as a `time.monotonic()` value."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    remaining_ms = remaining() if callable(remaining) else DEFAULT_REMAINING_MS
    return time.monotonic() + max(0.0, float(remaining_ms)) / 1000


class Container:
    def __init__(self, env: Mapping[str, str] | None = None, *, clock: Clock = utc_now) -> None:
        self._env = os.environ if env is None else env
        self._clock = clock  # "Was this you?" times (asked, answered, due); tests move it

    @cached_property
    def settings(self) -> Settings:
        return Settings.from_env(self._env)

    @cached_property
    def _session(self) -> Any:
        # One session per container: building one loads botocore's data files.
        import boto3

        return boto3.session.Session()

    def _client(self, service: str, region: str | None = None) -> Any:
        # AWS_REGION in the settings' environment (Lambda sets it) wins over the session's
        # default, so an operator tool can build a container for another region's stage.
        region = region or self._env.get("AWS_REGION") or None
        return self._session.client(service, region_name=region)

    @cached_property
    def dynamodb(self) -> Any:
        return self._client("dynamodb", self.settings.ledger_region)

    @cached_property
    def secrets(self) -> SecretResolver:
        return SecretResolver(lambda: self._client("ssm"))

    @cached_property
    def ledger(self) -> Ledger:
        return Ledger(
            self.dynamodb,
            self.settings.ledger_table,
            clock=utc_now,
            retention_days=self.settings.ledger_retention_days,
        )

    def slack_transport(self) -> Transport:
        settings = self.settings
        token = self.secrets.value(
            settings.slack_bot_token, settings.slack_bot_token_param, "SLACK_BOT_TOKEN"
        )
        if token:
            if not settings.slack_channel:
                raise ConfigError("SLACK_CHANNEL: required with SLACK_BOT_TOKEN")
            return WebApiTransport(token, settings.slack_channel, base_url=settings.slack_api_url)
        url = self.secrets.value(
            settings.slack_webhook_url, settings.slack_webhook_url_param, "SLACK_WEBHOOK_URL"
        )
        if url:
            return WebhookTransport(url)
        raise ConfigError(
            "no Slack destination: set SLACK_WEBHOOK_URL(_PARAM) or SLACK_BOT_TOKEN(_PARAM) "
            "with SLACK_CHANNEL"
        )

    @cached_property
    def send_slots(self) -> SendSlots:
        return SendSlots(
            self.dynamodb,
            self.settings.ledger_table,
            interval=self.settings.slack_min_interval_seconds,
        )

    def notifier(self) -> SlackNotifier:
        policy = RetryPolicy(
            max_attempts=self.settings.slack_max_attempts,
            attempt_timeout=self.settings.slack_timeout_seconds,
        )
        return SlackNotifier(self.slack_transport(), policy=policy, slots=self.send_slots)

    @cached_property
    def day_tally(self) -> DayTally:
        return DayTally(self.dynamodb, self.settings.ledger_table)

    @cached_property
    def storms(self) -> StormControl:
        settings = self.settings
        return StormControl(
            settings,
            BurstStore(self.dynamodb, settings.ledger_table, thresholds(settings)),
            PlaceStore(
                self.dynamodb,
                settings.ledger_table,
                trusted=lambda signin: in_trusted_network(signin, settings),
                travel_minutes=settings.impossible_travel_minutes,
            ),
            self.day_tally,
        )

    @cached_property
    def alerter(self) -> SigninAlerter:
        return SigninAlerter(
            self.settings,
            self.ledger,
            self.notifier,
            clock=utc_now,
            storms=self.storms,
            confirm=self.confirmations,
        )

    def burst_summaries(self, *, deadline: float) -> dict[str, int]:
        return self.storms.sweep(self.notifier, deadline=deadline)

    def daily_digest(self, *, deadline: float) -> str:
        return run_daily_digest(
            self.settings, self.day_tally, self.notifier, now=utc_now(), deadline=deadline
        )

    @cached_property
    def history(self) -> SigninHistory:
        return SigninHistory(
            self.dynamodb,
            self.settings.ledger_table,
            clock=utc_now,
            retention_days=self.settings.ledger_retention_days,
        )

    def request_verifier(self) -> RequestVerifier:
        settings = self.settings
        secret = self.secrets.value(
            settings.slack_signing_secret,
            settings.slack_signing_secret_param,
            "SLACK_SIGNING_SECRET",
        )
        return RequestVerifier(secret)

    @cached_property
    def recent_logins(self) -> RecentLogins:
        # Factories: settings and the secret are read on the first request, inside the
        # handler, so that a broken configuration is a logged 401, never a 500.
        return RecentLogins(
            settings=lambda: self.settings,
            verifier=self.request_verifier,
            history=lambda: self.history,
            clock=utc_now,
            confirm_states=lambda event_ids: self.confirm_ledger.states(event_ids),
        )

    # -- "Was this you?" ---------------------------------------------------------------
    def slack_api(self) -> SlackApi | None:
        """The Web API client for questions; None when Slack is a webhook."""
        if "_slack_api" not in self.__dict__:
            settings = self.settings
            token = self.secrets.value(
                settings.slack_bot_token, settings.slack_bot_token_param, "SLACK_BOT_TOKEN"
            )
            self.__dict__["_slack_api"] = (
                SlackApi(
                    token, base_url=settings.slack_api_url, timeout=settings.slack_timeout_seconds
                )
                if token
                else None
            )
        api: SlackApi | None = self.__dict__["_slack_api"]
        return api

    @cached_property
    def confirm_ledger(self) -> ConfirmLedger:
        return ConfirmLedger(self.dynamodb, self.settings.ledger_table)

    @cached_property
    def confirmations(self) -> Confirmations:
        return Confirmations(
            self.settings,
            ledger=self.confirm_ledger,
            users=UserFinder(self.settings.slack_user_map, self._required_slack_api),
            slack=self.slack_api,
            notifier=self.notifier,
            tally=self.day_tally,
            clock=self._clock,
        )

    def _required_slack_api(self) -> SlackApi:
        api = self.slack_api()
        if api is None:
            raise ConfigError("SLACK_BOT_TOKEN: required for questions")
        return api

    @cached_property
    def escalations(self) -> Escalations:
        return Escalations(
            self.settings,
            ledger=self.confirm_ledger,
            notifier=self.notifier,
            tally=self.day_tally,
            clock=self._clock,
        )

    def pending_confirmations(self, *, deadline: float) -> dict[str, int]:
        return self.escalations.sweep(deadline=deadline).to_dict()

    @cached_property
    def interactions(self) -> Interactions:
        return Interactions(
            settings=lambda: self.settings,
            verifier=self.request_verifier,
            ledger=lambda: self.confirm_ledger,
            slack=self.slack_api,
            notifier=self.notifier,
            escalations=lambda: self.escalations,
            tally=lambda: self.day_tally,
            clock=self._clock,
        )
