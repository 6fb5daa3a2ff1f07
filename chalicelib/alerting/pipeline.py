"""The sign-in pipeline: parse, record once, judge, format, deliver.

Delivery failures are raised, never swallowed: EventBridge invokes Lambda
asynchronously, so the raise is what makes Lambda retry and, in the end, park the event
in the on-failure queue for `manage.py redrive`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from chalicelib import logs
from chalicelib.alerting.storms import BurstAlert, StormControl
from chalicelib.confirm.asking import Confirmations
from chalicelib.judge.bursts import Action, Decision
from chalicelib.judge.rules import Verdict, evaluate
from chalicelib.settings import ConfigError, Settings
from chalicelib.signin.parse import SignIn, parse_signin
from chalicelib.slack.alert_message import build_message
from chalicelib.slack.delivery import DeliveryFailed, SlackNotifier
from chalicelib.store.ledger import AlertStatus, Ledger


class Disposition(StrEnum):
    POSTED = "posted"
    NOT_ALERTED = "not_alerted"
    DUPLICATE = "duplicate"
    IN_FLIGHT = "in_flight"  # another invocation holds the claim and will post it
    FAILED = "failed"


@dataclass(frozen=True)
class Handled:
    event_id: str
    severity: str
    outcome: Disposition
    attempts: int = 0
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "severity": self.severity,
            "outcome": self.outcome.value,
            "attempts": self.attempts,
            "reason": self.reason,
        }


class SigninAlerter:
    def __init__(
        self,
        settings: Settings,
        ledger: Ledger,
        notifier: Callable[[], SlackNotifier],
        *,
        clock: Callable[[], datetime],
        storms: StormControl | None = None,
        confirm: Confirmations | None = None,
    ) -> None:
        self._settings = settings
        self._confirm = confirm  # "Was this you?": plan before the post, ask after
        self._ledger = ledger
        self._storms = storms
        # A factory, so that a sign-in that does not alert never reads the Slack secret.
        self._notifier_factory = notifier
        self._notifier: SlackNotifier | None = None
        self._clock = clock

    def handle(self, event: Mapping[str, Any], *, deadline: float) -> Handled:
        signin = parse_signin(event, received_at=self._clock())
        verdict = evaluate(signin, self._settings)
        storms = self._storms
        if storms is not None:
            verdict = storms.before_record(signin, verdict)
        recorded = self._ledger.record(signin, verdict, alert=verdict.alert)

        if not recorded.first_time and recorded.status in (
            AlertStatus.SENT,
            AlertStatus.NOT_ALERTED,
        ):
            return self._done(signin, verdict, Disposition.DUPLICATE, reason=recorded.status.value)
        # A first recording of an alert holds the claim to post it (see Ledger.record).
        claimed = recorded.first_time and recorded.status is AlertStatus.DELIVERING
        burst_alert: BurstAlert | None = None
        if storms is not None:
            if recorded.first_time:
                storms.tally(signin, verdict)
            decision = storms.after_record(signin, first_time=recorded.first_time)
            if decision.action in (Action.HOLD_BACK, Action.PART_OF_BURST):
                return self._held_back(signin, verdict, decision, deadline, claimed=claimed)
            if decision.action is Action.OPEN_BURST:
                burst_alert = storms.burst_alert(
                    signin, decision, can_update=self._slack_can_update()
                )
                verdict = burst_alert.verdict
                self._ledger.revise(signin.event_id, verdict, claimed=claimed)
            elif decision.reason:
                verdict = replace(verdict, reasons=(*verdict.reasons, decision.reason))
        if not verdict.alert:
            return self._done(signin, verdict, Disposition.NOT_ALERTED, reason=verdict.skip_reason)
        if not recorded.first_time and not self._ledger.claim(signin.event_id):
            return self._done(signin, verdict, Disposition.IN_FLIGHT)
        return self._deliver(signin, verdict, deadline, burst_alert)

    def _held_back(
        self,
        signin: SignIn,
        verdict: Verdict,
        decision: Decision,
        deadline: float,
        *,
        claimed: bool,
    ) -> Handled:
        """A failure that a burst alert tells (or will tell): recorded, not posted by
        itself, and it does not wait on Slack, except to post a summary that is due."""
        verdict = replace(verdict, alert=False, skip_reason=decision.reason)
        self._ledger.revise(signin.event_id, verdict, claimed=claimed)
        if decision.burst is not None and self._storms is not None:
            try:
                notifier = self._slack()
            except ConfigError as error:  # the burst alert itself raised this already
                logs.emit({"message": "burst summary not posted", "error": str(error)[:300]})
            else:
                self._storms.post_summary_if_due(
                    decision.burst,
                    notifier,
                    at_epoch=int(signin.event_time.timestamp()),
                    deadline=deadline,
                )
        return self._done(signin, verdict, Disposition.NOT_ALERTED, reason=decision.reason)

    def _slack(self) -> SlackNotifier:
        if self._notifier is None:
            self._notifier = self._notifier_factory()
        return self._notifier

    def _slack_can_update(self) -> bool:
        try:
            return self._slack().can_update
        except Exception:  # a bad secret: _deliver raises it where it is handled
            return False

    def _deliver(
        self,
        signin: SignIn,
        verdict: Verdict,
        deadline: float,
        burst_alert: BurstAlert | None = None,
    ) -> Handled:
        question = self._confirm.plan(signin, verdict) if self._confirm else None
        if burst_alert is not None:
            message = burst_alert.message
        else:
            asked = question.alert_blocks if question else ()
            message = build_message(signin, verdict, self._settings, asked)
        channel = self._settings.slack_channel_by_severity.get(verdict.severity)
        try:
            delivered = self._slack().post(message, deadline=deadline, channel=channel)
        except DeliveryFailed as failure:
            self._ledger.release(signin.event_id, attempts=failure.attempts, error=failure.reason)
            self._done(signin, verdict, Disposition.FAILED, failure.attempts, failure.reason)
            raise
        except Exception as error:  # a bad secret or setting: keep the alert retryable
            self._ledger.release(signin.event_id, attempts=0, error=type(error).__name__)
            self._done(
                signin,
                verdict,
                Disposition.FAILED,
                0,
                str(error),
            )
            raise
        self._ledger.mark_sent(
            signin.event_id, attempts=delivered.attempts, reference=delivered.reference
        )
        if burst_alert is not None and self._storms is not None:
            self._storms.remember_message(
                burst_alert.burst, ts=delivered.reference, channel=delivered.channel
            )
        if self._confirm is not None:
            self._confirm.ask(question, delivered, message, deadline=deadline)
        return self._done(signin, verdict, Disposition.POSTED, delivered.attempts)

    def _done(
        self,
        signin: SignIn,
        verdict: Verdict,
        outcome: Disposition,
        attempts: int = 0,
        reason: str = "",
    ) -> Handled:
        """The result of one sign-in, logged as one JSON line with its metrics."""
        handled = Handled(signin.event_id, verdict.severity.name, outcome, attempts, reason)
        now = self._clock()
        logs.emit(
            {
                "message": "sign-in handled",
                **handled.to_dict(),
                "event_name": signin.event_name,
                "principal": signin.principal_key,
                "account_id": signin.account_id,
                "region": signin.region,
                "result": signin.outcome.value,
                "mfa": signin.mfa.value,
                "source_ip": signin.source_ip,
                "reasons": list(verdict.reasons),
                "problems": list(signin.problems),
            },
            metrics={
                "SignIns": 1,
                "ParseProblems": len(signin.problems),
                "AlertsPosted": int(handled.outcome is Disposition.POSTED),
                "DeliveryFailures": int(handled.outcome is Disposition.FAILED),
                "Duplicates": int(handled.outcome is Disposition.DUPLICATE),
            },
            at_ms=int(now.timestamp() * 1000),
        )
        return handled
