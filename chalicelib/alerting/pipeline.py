"""The sign-in pipeline, one straight line:

    parse -> gather (one read) -> decide (pure) -> commit (one transaction)
          -> deliver -> [after-post steps] -> mark sent

Crash safety is a property of the whole handler: for an alerting sign-in the only
normal return is a posted message (or the duplicate of one already posted). Anything
that fails raises, so Lambda retries and, in the end, parks the event in the on-failure
queue for `manage.py redrive`. The commit's claim carries a lease as long as the
invocation's remaining time (plus a margin): an invocation that finds another's live
claim raises a retryable error; an expired claim (its holder died) is taken over; an
exception after the claim gives it back when it can, and raises.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

from chalicelib import logs
from chalicelib.alerting.commit import Committer
from chalicelib.alerting.decide import Decider, Plan
from chalicelib.alerting.gather import Gatherer
from chalicelib.alerting.values import (
    AfterPost,
    Alert,
    ClaimHeld,
    CommitContended,
    Disposition,
    Handled,
    Question,
    Step,
)
from chalicelib.clock import REAL_TIME, Clocks
from chalicelib.judge.rules import Verdict, evaluate
from chalicelib.organization.directory import AccountDirectory
from chalicelib.routine.periods import Period, PeriodKind
from chalicelib.routine.rollups import RoutineRollups
from chalicelib.settings import Settings
from chalicelib.signin.parse import SignIn, parse_signin
from chalicelib.slack.alert_message import build_message
from chalicelib.slack.delivery import DeliveryFailed, SlackNotifier
from chalicelib.store.attributes import Write
from chalicelib.store.schema import event_key
from chalicelib.store.signin_record import AlertStatus, Claim, SigninRecord
from chalicelib.store.signin_writes import ClaimLost, SigninWrites
from chalicelib.storms.bursts import remember_message
from chalicelib.storms.summaries import BurstSummaries

log = logging.getLogger(__name__)

# Rounds of gather-decide-commit when commits lose races, before Lambda's retry; the
# rounds are spread by a jittered pause so that racing instances fall out of step.
COMMIT_ROUNDS = 8
ROUND_PAUSE_SECONDS = 0.02
# A claim outlives the invocation's deadline by this much, so that only a dead holder's
# claim expires.
LEASE_MARGIN_SECONDS = 30.0
# Lambda runs at most 15 minutes: no claim needs to outlive that.
MAX_REMAINING_SECONDS = 900.0


def _nobody_asked(signin: SignIn, verdict: Verdict) -> Question | None:
    return None


class SigninAlerter:
    def __init__(
        self,
        settings: Settings,
        *,
        gatherer: Gatherer,
        decider: Decider,
        committer: Committer,
        writes: SigninWrites,
        summaries: BurstSummaries,
        routine: RoutineRollups | None = None,
        notifier: Callable[[], SlackNotifier],
        table: str,
        clocks: Clocks = REAL_TIME,
        ask: Callable[[SignIn, Verdict], Question | None] = _nobody_asked,
        after_post: Sequence[AfterPost] = (),
        on_step: Callable[[Step], None] = lambda step: None,
        accounts: AccountDirectory | None = None,
    ) -> None:
        self._settings = settings
        # The organization: who may be named and routed, cached per container.
        self._accounts = accounts
        self._gatherer = gatherer
        self._decider = decider
        self._committer = committer
        self._writes = writes  # the alert's claim: take over, give back, "sent"
        self._summaries = summaries
        self._routine = routine
        # A factory, so that a sign-in that does not alert never reads the Slack secret.
        self._notifier_factory = notifier
        self._notifier: SlackNotifier | None = None
        self._table = table
        self._clocks = clocks
        # Whom the alert will say is asked (before its message is built and committed).
        self._ask = ask
        self._after_post = tuple(after_post)
        self._on_step = on_step  # an observer of the steps (tests inject faults here)

    def handle(self, event: Mapping[str, Any], *, deadline: float) -> Handled:
        signin = parse_signin(event, received_at=self._clocks.now())
        now = self._clocks.now().timestamp()
        remaining = min(max(0.0, deadline - self._clocks.monotonic()), MAX_REMAINING_SECONDS)
        claim = Claim(uuid.uuid4().hex, now + remaining + LEASE_MARGIN_SECONDS)
        keys = self._decider.keys(signin)
        accounts = self._accounts
        # The organization's copy joins the first read when this container needs it.
        organization = accounts.keys(signin, now=now) if accounts else []
        for round_number in range(COMMIT_ROUNDS):
            if round_number:
                self._clocks.sleep(
                    self._clocks.random.uniform(0, ROUND_PAUSE_SECONDS * round_number)
                )
            self._on_step(Step.GATHER)
            snapshot = self._gatherer.gather([*keys, *organization] if not round_number else keys)
            if accounts is not None and not round_number:
                signin = accounts.place(signin, snapshot.get, now=now)
            recorded = snapshot.get(event_key(signin.event_id))
            if recorded is not None:
                return self._recorded(signin, SigninRecord.of(recorded), claim, deadline)
            self._on_step(Step.DECIDE)
            decide = partial(
                self._decider.decide,
                signin,
                snapshot,
                now=now,
                claim=claim,
                can_update=_web_api(self._settings),
                contended=round_number > 0,
            )
            plan = decide()
            question = self._ask(signin, plan.verdict) if plan.message is not None else None
            if question is not None:  # decide is pure: again, with the alert's "asked" line
                plan = decide(note=question.alert_blocks, ask_user=question.user_id)
            if plan.claim is not None:
                # Read the Slack secret before claiming: a broken or unreachable secret
                # store then fails the invocation with nothing to give back.
                self._slack()
            self._on_step(Step.COMMIT)
            # A roster just read from Organizations is stored with the sign-in.
            stored = accounts.writes() if accounts else []
            if self._committer.commit([*plan.writes, *stored]):
                if accounts is not None:
                    accounts.committed()
                break
        else:
            raise CommitContended(f"{COMMIT_ROUNDS} commits of {signin.event_id} lost races")

        if plan.claim is None or plan.message is None:
            if plan.summary is not None:
                self._post_summary(plan, now, deadline)
            if plan.routine is not None and plan.routine.kind is PeriodKind.DAY:
                self._refresh_routine(plan.routine, deadline)
            return self._done(
                signin,
                plan.verdict.severity.name,
                Disposition.moved_to(AlertStatus.NOT_ALERTED),
                0,
                plan.verdict.skip_reason,
                plan,
            )
        ask_user = question.user_id if question is not None else ""
        alert = Alert(
            plan.verdict.severity.name, plan.message, plan.channel, plan.claim, plan, ask_user
        )
        return self._deliver(signin, alert, deadline)

    def _recorded(
        self, signin: SignIn, record: SigninRecord, claim: Claim, deadline: float
    ) -> Handled:
        """The event is in the ledger already: a duplicate, a retry, or our own commit
        that answered with an error after it was written."""
        stored = record.alert
        if stored.settled:
            return self._done(
                signin, record.severity, Disposition.DUPLICATE, 0, stored.status.value
            )
        posted_since: float | None = None
        if stored.held_by(claim):
            pass  # our commit went through although its answer did not reach us
        # Always asked, even when the lease looks live: the write decides, not our read.
        elif not self._writes.take_over(signin.event_id, claim, now=self._clocks.now().timestamp()):
            raise ClaimHeld(f"{signin.event_id}: another invocation holds the claim")
        else:  # its holder may have posted it before failing or dying
            posted_since = stored.recorded_at or None
        message = stored.message
        if message is None:  # recorded before messages were stored with the claim
            try:
                message = build_message(signin, evaluate(signin, self._settings), self._settings)
            except Exception:
                self._give_back(signin, claim, 0, "message")
                raise
        alert = Alert(
            record.severity,
            message,
            stored.channel,
            claim,
            ask_user=record.ask_user,
            posted_since=posted_since,
        )
        return self._deliver(signin, alert, deadline)

    def _slack(self) -> SlackNotifier:
        if self._notifier is None:
            self._notifier = self._notifier_factory()
        return self._notifier

    def _deliver(self, signin: SignIn, alert: Alert, deadline: float) -> Handled:
        try:
            self._on_step(Step.DELIVER)
            delivered = self._slack().post(
                alert.message,
                deadline=deadline,
                channel=alert.channel,
                alert_id=signin.event_id,
                posted_since=alert.posted_since,
            )
        except Exception as error:
            attempts = error.attempts if isinstance(error, DeliveryFailed) else 0
            reason = error.reason if isinstance(error, DeliveryFailed) else type(error).__name__
            self._give_back(signin, alert.claim, attempts, reason)
            failed = Disposition.moved_to(AlertStatus.PENDING)
            self._done(signin, alert.severity, failed, attempts, reason, alert.plan)
            raise
        also: list[Write] = []
        for step in self._after_post:
            try:
                also += step(signin, alert, delivered, deadline=deadline)
            except Exception as error:  # the alert is posted: never post it twice
                log.error("after-post step failed: %s", type(error).__name__)
        opened = alert.plan.opened if alert.plan else None
        if opened is not None and delivered.reference:
            also.append(
                remember_message(
                    self._table, opened, ts=delivered.reference, channel=delivered.channel
                )
            )
        try:
            self._on_step(Step.MARK_SENT)
            marked = self._writes.mark_sent(
                signin.event_id,
                attempts=delivered.attempts,
                reference=delivered.reference,
                sent_at=self._clocks.now().timestamp(),
                deadline=deadline,
                also=also,
            )
        except Exception as error:  # posted: a raise would make Lambda post it again
            log.error("sent mark failed: %s", type(error).__name__)
            marked = False
        return self._done(
            signin,
            alert.severity,
            Disposition.moved_to(AlertStatus.SENT),
            delivered.attempts,
            "",
            alert.plan,
            marked=marked,
        )

    def _give_back(self, signin: SignIn, claim: Claim, attempts: int, reason: str) -> None:
        """Best effort: if this fails too, the claim's lease runs out instead."""
        try:
            self._writes.give_back(signin.event_id, claim, attempts=attempts, error=reason)
        except ClaimLost:
            log.warning("claim not given back: another invocation took it over")
        except Exception as error:
            log.error("claim not given back (its lease will expire): %s", type(error).__name__)

    def _post_summary(self, plan: Plan, claimed_at: float, deadline: float) -> None:
        assert plan.summary is not None
        try:
            self._summaries.post(
                plan.summary, self._slack(), deadline=deadline, claimed_at=claimed_at
            )
        except Exception as error:  # recorded and counted; the summary is optional
            log.warning("burst summary not posted: %s", type(error).__name__)

    def _refresh_routine(self, period: Period, deadline: float) -> None:
        """The Web API's day message names this routine sign-in now; what this cannot
        tell, the minute sweep does."""
        if self._routine is None:
            return
        try:
            self._routine.refresh(period, self._slack, deadline=deadline)
        except Exception as error:  # recorded and in its roll-up: the sweep tells it
            log.warning("routine roll-up not refreshed: %s", type(error).__name__)

    def _done(
        self,
        signin: SignIn,
        severity: str,
        outcome: Disposition,
        attempts: int,
        reason: str,
        plan: Plan | None = None,
        *,
        marked: bool = True,
    ) -> Handled:
        """The result of one sign-in, logged as one JSON line with its metrics."""
        handled = Handled(signin.event_id, severity, outcome, attempts, reason)
        logs.emit(
            {
                "message": "sign-in handled",
                **handled.to_dict(),
                "event_name": signin.event_name,
                "principal": signin.principal_key,
                # What named the principal's kind, and the service: how records read.
                "kind_from": signin.kind_evidence.value,
                "service": signin.service.service.value,
                "time_recorded": signin.time_recorded,
                "account_id": signin.account_id,
                "origin": signin.origin.origin.value,
                "region": signin.region,
                "result": signin.outcome.value,
                "mfa": signin.mfa.value,
                "source_ip": signin.source_ip,
                "reasons": list(plan.verdict.reasons) if plan else [],
                "storm_action": plan.action.value if plan else "",
                "problems": list(signin.problems),
            },
            metrics={
                "SignIns": 1,
                "ParseProblems": len(signin.problems),
                "AlertsPosted": int(outcome is Disposition.POSTED),
                "DeliveryFailures": int(outcome is Disposition.FAILED),
                "Duplicates": int(outcome is Disposition.DUPLICATE),
                "SentMarkFailures": int(not marked),
            },
            at_ms=int(self._clocks.now().timestamp() * 1000),
        )
        return handled


def _web_api(settings: Settings) -> bool:
    """A bot token means the Web API, which can update a burst alert in place."""
    return bool(settings.slack_bot_token or settings.slack_bot_token_param)
