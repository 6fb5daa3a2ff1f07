"""Builds the app's parts once per Lambda container, each when first needed.

Importing this module imports no AWS or Slack library: a cold start pays for botocore
only when a handler first touches DynamoDB, and for slack_sdk only when it first uses
the Web API (a webhook post needs only urllib: `slack/webhook_post.py`).
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from chalicelib import logs
from chalicelib.alerting.commit import Committer
from chalicelib.alerting.decide import Decider
from chalicelib.alerting.gather import Gatherer
from chalicelib.alerting.pipeline import SigninAlerter
from chalicelib.confirm.asking import Confirmations
from chalicelib.confirm.slack_api import SlackApi
from chalicelib.confirm.users import UserFinder
from chalicelib.container_routes import RouteParts
from chalicelib.routine.rollups import RoutineRollups
from chalicelib.routine.store import RoutineStore
from chalicelib.settings import ConfigError
from chalicelib.slack.delivery import (
    RetryPolicy,
    SlackNotifier,
)
from chalicelib.slack.destination import bot_token, transport_for
from chalicelib.store.day_tally import DayTally
from chalicelib.store.send_slots import SendSlots
from chalicelib.store.signin_writes import SigninWrites
from chalicelib.storms.bursts import BurstSweep
from chalicelib.storms.summaries import BurstSummaries

# What only the other handlers use (the buttons, the schedules; Slack's routes in
# `container_routes`) is imported when first needed: `import app` and a sign-in skip it.
if TYPE_CHECKING:
    from chalicelib.alerting.root_mfa_sweep import RootMfaWaits
    from chalicelib.confirm.answers import Interactions
    from chalicelib.confirm.sweep import Escalations
    from chalicelib.store.ledger import Ledger
    from chalicelib.store.signin_reads import SigninReads


class Container(RouteParts):
    """Every part of the app, each built when first needed; the clients, settings and
    deadlines they share come from `ContainerClients`, the parts built on those alone
    from `SharedParts`, the parts only Slack's requests use from `RouteParts`."""

    @cached_property
    def ledger(self) -> Ledger:
        from chalicelib.store.ledger import Ledger

        return Ledger(
            self.dynamodb,
            self.settings.ledger_table,
            clock=self.clocks.now,
            retention_days=self.settings.ledger_retention_days,
        )

    @cached_property
    def send_slots(self) -> SendSlots:
        return SendSlots(
            self.dynamodb,
            self.settings.ledger_table,
            interval=self.settings.slack_min_interval_seconds,
            wall_clock=self.clocks.time,
        )

    def notifier(self) -> SlackNotifier:
        policy = RetryPolicy(
            max_attempts=self.settings.slack_max_attempts,
            attempt_timeout=self.settings.slack_timeout_seconds,
        )
        return SlackNotifier(
            transport_for(self.settings, self.secrets),
            policy=policy,
            slots=self.send_slots,
            clocks=self.clocks,
        )

    @cached_property
    def day_tally(self) -> DayTally:
        settings = self.settings
        return DayTally(
            self.dynamodb, settings.ledger_table, retention_days=settings.ledger_retention_days
        )

    @cached_property
    def burst_summary_poster(self) -> BurstSummaries:
        return BurstSummaries(
            self.settings,
            BurstSweep(self.dynamodb, self.settings.ledger_table),
            wall_clock=self.clocks.time,
        )

    @cached_property
    def signin_writes(self) -> SigninWrites:  # the alert's claim, the question's states
        clocks = self.clocks
        return SigninWrites(
            self.dynamodb,
            self.settings.ledger_table,
            sleep=clocks.sleep,
            monotonic=clocks.monotonic,
            rng=clocks.random,
        )

    @cached_property
    def alerter(self) -> SigninAlerter:
        settings = self.settings
        table = settings.ledger_table
        return SigninAlerter(
            settings,
            gatherer=Gatherer(self.dynamodb, table),
            decider=Decider(settings, table),
            committer=Committer(self.dynamodb),
            writes=self.signin_writes,
            summaries=self.burst_summary_poster,
            routine=self.routine_rollups,
            notifier=self.notifier,
            clocks=self.clocks,
            table=table,
            ask=self.confirmations.plan,
            after_post=[self.confirmations.after_post],
            on_step=self._on_step,
            accounts=self.account_directory,
        )

    def burst_summaries(self, *, deadline: float) -> dict[str, int]:
        return self.burst_summary_poster.sweep(self.notifier, deadline=deadline)

    @cached_property
    def root_mfa_waits(self) -> RootMfaWaits:
        from chalicelib.alerting.root_mfa_sweep import RootMfaWaits
        from chalicelib.store.root_mfa import RootMfaStore

        return RootMfaWaits(
            RootMfaStore(self.dynamodb, self.settings.ledger_table),
            notifier=self.notifier,
            clock=self.clocks.now,
            monotonic=self.clocks.monotonic,
        )

    def minute_sweeps(self, *, deadline: float) -> dict[str, int]:
        """The every-minute schedule: root CheckMfa records no sign-in followed (an
        alert owed), then the closing summaries of storms that stopped, then the
        roll-ups of routine sign-ins."""
        root = self.root_mfa_waits.sweep(deadline=deadline).to_dict()
        bursts = self.burst_summaries(deadline=deadline)
        routine = self.routine_rollups.sweep(self.notifier, deadline=deadline).to_dict()
        return {**root, **bursts, **routine}

    @cached_property
    def routine_rollups(self) -> RoutineRollups:
        return RoutineRollups(
            self.settings,
            RoutineStore(self.dynamodb, self.settings.ledger_table),
            wall_clock=self.clocks.time,
        )

    def daily_digest(self, *, deadline: float) -> str:
        """The hourly housekeeping schedule: the daily digest in its hour (with the week's
        picture when Slack is the Web API), on DIGEST_WEEKLY_DAY the weekly one, then the
        principal catalog's new entries packed for `/recent-logins WHO`."""
        from chalicelib.alerting.digest import run_daily_digest
        from chalicelib.picture.weekly import run_weekly_digest
        from chalicelib.store.catalog_pages import pack_catalog

        now = self.clocks.now()
        daily = run_daily_digest(
            self.settings,
            self.day_tally,
            self.notifier,
            now=now,
            deadline=deadline,
            names=lambda: self.stored_roster().names(),
            picture=lambda day, summary: self.digest_picture.post(
                day, summary, busiest_of="yesterday", heading=f"Sign-in digest for {day}"
            ),
        )
        weekly = run_weekly_digest(
            self.settings,
            self.day_tally,
            self.week_tally,
            self.digest_picture,
            self.notifier,
            now=now,
            deadline=deadline,
        )
        packed = pack_catalog(self.dynamodb, self.settings.ledger_table)
        logs.emit(
            {
                "message": "catalog_packed",
                "entries": packed.entries,
                "further_pages": packed.further_pages,
            }
        )
        return daily if weekly is None else f"{daily}; weekly: {weekly}"

    # -- "Was this you?" ---------------------------------------------------------------
    def slack_api(self) -> SlackApi | None:
        """The Web API client for questions; None when Slack is a webhook."""
        return self._slack_api

    @cached_property
    def _slack_api(self) -> SlackApi | None:
        settings = self.settings
        token = bot_token(settings, self.secrets)
        if not token:
            return None
        return SlackApi(
            token, base_url=settings.slack_api_url, timeout=settings.slack_timeout_seconds
        )

    @cached_property
    def signin_reads(self) -> SigninReads:
        from chalicelib.store.signin_reads import SigninReads

        return SigninReads(self.dynamodb, self.settings.ledger_table)

    @cached_property
    def confirmations(self) -> Confirmations:
        return Confirmations(
            self.settings,
            writes=self.signin_writes,
            users=UserFinder(
                self.settings.slack_user_map,
                self._required_slack_api,
                monotonic=self.clocks.monotonic,
            ),
            slack=self.slack_api,
            notifier=self.notifier,
            tally=self.day_tally,
            clock=self.clocks.now,
        )

    def _required_slack_api(self) -> SlackApi:
        api = self.slack_api()
        if api is None:
            raise ConfigError("SLACK_BOT_TOKEN: required for questions")
        return api

    @cached_property
    def escalations(self) -> Escalations:
        from chalicelib.confirm.sweep import Escalations

        return Escalations(
            self.settings,
            reads=self.signin_reads,
            writes=self.signin_writes,
            notifier=self.notifier,
            tally=self.day_tally,
            clock=self.clocks.now,
            monotonic=self.clocks.monotonic,
        )

    def pending_confirmations(self, *, deadline: float) -> dict[str, int]:
        return self.escalations.sweep(deadline=deadline).to_dict()

    @cached_property
    def interactions(self) -> Interactions:
        from chalicelib.confirm.answers import Interactions

        return Interactions(
            settings=lambda: self.settings,
            verifier=self.request_verifier,
            reads=lambda: self.signin_reads,
            writes=lambda: self.signin_writes,
            slack=self.slack_api,
            notifier=self.notifier,
            escalations=lambda: self.escalations,
            tally=lambda: self.day_tally,
            clock=self.clocks.now,
            # One invocation at a time per container: the route sets the deadline its
            # AWS calls (through the event handlers' clients) must fit in.
            calls=self.deadline,
            other_clicks=self._home_clicks,
        )

    # -- the watchdog (chalicelib/watchdog/) ---------------------------------------------

    def watchdog(self, context: Any, *, deadline: float) -> dict[str, Any]:
        from chalicelib.watchdog.wiring import run_watchdog

        return run_watchdog(self, context, deadline=deadline, clock=self.clocks.now)
