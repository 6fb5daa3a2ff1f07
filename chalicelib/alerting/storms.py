"""Storm control and anomalies around the single-event rules: new places before a
sign-in is recorded, burst counting and decisions after, burst summaries.

`SigninAlerter` calls `before_record` (idempotent: conditional puts that remember the
event), records the sign-in, then `after_record` (counts a failure once, on its first
recording) and, for a failure inside an open burst, `post_summary_if_due`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from chalicelib.judge.bursts import (
    Action,
    Burst,
    Decision,
    Dimension,
    Opener,
    Subject,
    WindowCount,
    decide,
    is_counted_failure,
    principal_subject,
    subject_words,
    subjects_of,
    thresholds,
)
from chalicelib.judge.escalation import apply_places, escalate
from chalicelib.judge.rules import Verdict, is_alerting_event
from chalicelib.judge.severity import Severity
from chalicelib.settings import ConfigError, Settings
from chalicelib.signin.parse import Result, SignIn
from chalicelib.slack.burst_messages import burst_message, thread_reply
from chalicelib.slack.burst_titles import burst_title
from chalicelib.slack.delivery import DeliveryFailed, SlackNotifier
from chalicelib.store.bursts import BurstStore
from chalicelib.store.day_tally import DayTally
from chalicelib.store.places import PlaceStore

log = logging.getLogger(__name__)

# A summary is optional: it waits at most this long for a send slot, else the next
# failure in the burst tries again.
SUMMARY_MAX_WAIT_SECONDS = 1.5
# The sweep posts a storm's closing summary once it has been quiet this long.
SWEEP_QUIET_SECONDS = 60


@dataclass(frozen=True)
class BurstAlert:
    """What a failure that opened a burst posts instead of its own alert."""

    burst: Burst
    verdict: Verdict
    message: dict[str, Any]


class StormControl:
    def __init__(
        self,
        settings: Settings,
        bursts: BurstStore,
        places: PlaceStore,
        tally: DayTally,
        *,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._bursts = bursts
        self._places = places
        self._tally = tally
        self._wall = wall_clock
        self._limits = thresholds(settings)

    # -- before the sign-in is recorded ----------------------------------------------
    def before_record(self, signin: SignIn, verdict: Verdict) -> Verdict:
        if not is_alerting_event(signin) or signin.outcome is not Result.SUCCESS:
            return verdict
        if self._settings.new_place_alerts:
            verdict = apply_places(verdict, self._places.check(signin), self._settings)
        return self._success_after_burst(signin, verdict)

    def _success_after_burst(self, signin: SignIn, verdict: Verdict) -> Verdict:
        subjects = [principal_subject(signin)]
        epoch = _epoch(signin)
        _, bursts = self._bursts.read(subjects, epoch)
        open_bursts = [burst for burst in bursts.values() if burst.covers(epoch)]
        if not open_bursts:
            return verdict
        burst = open_bursts[0]
        return escalate(
            verdict,
            Severity.CRITICAL,
            "Console sign-in succeeded right after a burst of failures",
            (f"success after burst: possible {subject_words(burst.subject)}",),
            self._settings,
        )

    # -- after it is recorded ----------------------------------------------------------
    def tally(self, signin: SignIn, verdict: Verdict) -> None:
        self._tally.add(signin, verdict.reasons)

    def after_record(self, signin: SignIn, *, first_time: bool) -> Decision:
        """Count a failure (once: only on its first recording) and decide its fate."""
        if not is_counted_failure(signin):
            return Decision(Action.ALERT)
        subjects = subjects_of(signin)
        epoch = _epoch(signin)
        if first_time:
            self._bursts.count(signin, subjects)
        decision = self._decide(signin, subjects, epoch)
        if decision.action is Action.OPEN_BURST and decision.burst is None:
            assert decision.count is not None
            opened = self._bursts.open(
                decision.count, opener=signin, epoch=epoch, wall_now=self._wall()
            )
            if opened is None:  # another instance opened it a moment ago
                return self._decide(signin, subjects, epoch)
            self._tally.burst(
                signin.event_time.date(),
                f"{opened.subject.id}#{epoch}",
                burst_title(decision.count),
            )
            decision = replace(decision, burst=opened)
        return decision

    def _decide(self, signin: SignIn, subjects: list[Subject], epoch: int) -> Decision:
        counts, bursts = self._bursts.read(subjects, epoch)
        return decide(
            signin.event_id,
            epoch,
            counts,
            bursts,
            self._limits,
            self._settings.failure_alerts_before_burst,
        )

    def burst_alert(self, signin: SignIn, decision: Decision, *, can_update: bool) -> BurstAlert:
        assert decision.burst is not None and decision.count is not None
        burst, count = decision.burst, decision.count
        failures = self._spray_failures(count, _epoch(signin))
        severity = Severity.HIGH
        verdict = escalate(
            Verdict(severity, "", (), alert=True),
            severity,
            burst_title(count, failures=failures),
            (f"possible {subject_words(count.subject)}",),
            self._settings,
        )
        message = burst_message(
            count,
            Opener.of(signin),
            self._settings,
            failures=failures,
            summary_every=self._summary_words(can_update),
        )
        return BurstAlert(burst, verdict, message)

    def remember_message(self, burst: Burst, *, ts: str, channel: str) -> None:
        self._bursts.remember_message(burst, ts=ts, channel=channel)

    def _summary_words(self, can_update: bool) -> str:
        if can_update:
            return (
                f"this message is updated and the thread gets a summary at most every "
                f"{self._settings.burst_thread_seconds:g} s"
            )
        return f"a rolling summary follows at most every {self._settings.burst_summary_seconds:g} s"

    def _spray_failures(self, count: WindowCount, epoch: int) -> int | None:
        """A spraying burst counts user names; its message also gives the IP's failures."""
        if count.subject.dimension is not Dimension.SPRAY:
            return None
        ip = count.subject.key
        ip_subject = Subject(Dimension.IP, count.subject.account_id, ip, ip)
        [ip_count], _ = self._bursts.read([ip_subject], epoch)
        return ip_count.count

    # -- summaries -----------------------------------------------------------------------
    def post_summary_if_due(
        self,
        burst: Burst,
        notifier: SlackNotifier,
        *,
        at_epoch: int,
        deadline: float,
        quiet_seconds: float | None = None,
    ) -> bool:
        """Post the burst's next summary if one is due and this instance wins the claim:
        with the Web API, update the alert in place and reply in its thread; with a
        webhook, a rolling summary. Best effort: the sign-ins are recorded either way,
        and a summary that cannot go out is left to the next failure or sweep.

        `quiet_seconds` (the sweep) also makes a summary due once the burst has had no
        new failure for that long: the closing summary of a storm that stopped."""
        settings = self._settings
        if settings.alert_min_severity > Severity.HIGH:
            return False  # burst alerts are HIGH: this stage does not want them
        threaded = bool(burst.message_ts) and notifier.can_update
        interval = settings.burst_thread_seconds if threaded else settings.burst_summary_seconds
        now = self._wall()
        [count], _ = self._bursts.read(
            [burst.subject], at_epoch, since_epoch={burst.subject.id: burst.first_epoch}
        )
        if count.count <= burst.summarised_count:
            return False
        if quiet_seconds is not None and now - count.last_epoch >= quiet_seconds:
            interval = 0  # the storm stopped: tell how it ended now
        if now - burst.last_summary_at < interval:
            return False
        if not self._bursts.claim_summary(burst, wall_now=now, interval=interval):
            return False
        try:
            self._post_summary(burst, count, notifier, threaded, at_epoch, deadline)
        except (DeliveryFailed, ConfigError) as error:
            log.warning("burst summary not posted: %s", error)
            self._bursts.give_back_summary(burst, claimed_at=now)
            return False
        return True

    def _post_summary(
        self,
        burst: Burst,
        count: WindowCount,
        notifier: SlackNotifier,
        threaded: bool,
        at_epoch: int,
        deadline: float,
    ) -> None:
        failures = self._spray_failures(count, at_epoch)
        channel = self._settings.slack_channel_by_severity.get(Severity.HIGH)
        if threaded:
            notifier.post(
                thread_reply(count, burst, self._settings),
                deadline=deadline,
                channel=burst.message_channel or channel,
                thread_ts=burst.message_ts,
                max_wait=SUMMARY_MAX_WAIT_SECONDS,
            )
            try:
                notifier.update(
                    burst_message(
                        count,
                        burst.opener,
                        self._settings,
                        failures=failures,
                        summary_every=self._summary_words(True),
                    ),
                    channel=burst.message_channel,
                    ts=burst.message_ts,
                    deadline=deadline,
                )
            except DeliveryFailed as error:  # the thread has the news; the next one updates
                log.warning("burst alert not updated: %s", error)
        else:
            notifier.post(
                burst_message(
                    count,
                    burst.opener,
                    self._settings,
                    failures=failures,
                    summary_every=self._summary_words(False),
                    continues_since=burst.summarised_count,
                ),
                deadline=deadline,
                channel=channel,
                max_wait=SUMMARY_MAX_WAIT_SECONDS,
            )
        self._bursts.summarised(burst, count=count.count)

    def sweep(self, notifier: Callable[[], SlackNotifier], *, deadline: float) -> dict[str, int]:
        """The scheduled pass over open bursts: post what a storm that stopped still
        owes (its closing summary), and forget bursts that are over and told."""
        now = self._wall()
        done = {"open": 0, "summarised": 0, "closed": 0}
        for subject_id in self._bursts.open_burst_ids():
            burst = self._bursts.get(subject_id)
            if burst is None:
                self._bursts.forget(subject_id)
                done["closed"] += 1
                continue
            done["open"] += 1
            at_epoch = min(int(now), burst.until_epoch - 1)
            if self.post_summary_if_due(
                burst,
                notifier(),
                at_epoch=at_epoch,
                deadline=deadline,
                quiet_seconds=SWEEP_QUIET_SECONDS,
            ):
                done["summarised"] += 1
            elif now >= burst.until_epoch + SWEEP_QUIET_SECONDS:
                [count], _ = self._bursts.read(
                    [burst.subject], at_epoch, since_epoch={subject_id: burst.first_epoch}
                )
                if count.count <= burst.summarised_count:
                    self._bursts.forget(subject_id)
                    done["closed"] += 1
        return done


def _epoch(signin: SignIn) -> int:
    return int(signin.event_time.timestamp())
