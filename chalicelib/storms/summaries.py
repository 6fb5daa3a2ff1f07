"""Burst summaries: what a storm tells after its alert. A failure inside a burst claims
a summary that is due in its own commit (storms/plan.py) and posts it here; the
`burst_summaries` schedule posts the closing count of a storm that stopped, and forgets
bursts that are over and told. Best effort: every failure is in the ledger either way,
and a summary that cannot go out is left to the next failure or sweep.

A storm is quiet when no failure has *arrived* for a minute, by the container's clock:
CloudTrail delivers records minutes after their event time, so judged by event time
every storm would look quiet at every sweep. The sweep's closing summary keeps the
cadence the messages promise (at most one per interval), and each summary rewrites the
digest's line for the burst with the count it told.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from chalicelib.settings import ConfigError, Settings
from chalicelib.severity import Severity
from chalicelib.slack.delivery import DeliveryFailed, SlackNotifier
from chalicelib.storms.bursts import BurstSweep
from chalicelib.storms.decision import Dimension
from chalicelib.storms.messages import burst_message, thread_reply
from chalicelib.storms.plan import SummaryDue, summary_every
from chalicelib.storms.titles import burst_title

log = logging.getLogger(__name__)

# A summary is optional: it waits at most this long for a send slot, else the next
# failure in the burst tries again.
SUMMARY_MAX_WAIT_SECONDS = 1.5
# The sweep posts a storm's closing summary once no failure has arrived for this long.
SWEEP_QUIET_SECONDS = 60
# A burst that is over (by event time) leaves the sweep's list once no failure has
# arrived for this long: records CloudTrail delivers late still find it open.
FORGET_QUIET_SECONDS = 600


class BurstSummaries:
    def __init__(
        self,
        settings: Settings,
        store: BurstSweep,
        *,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._store = store
        self._wall = wall_clock

    def post(
        self, due: SummaryDue, notifier: SlackNotifier, *, deadline: float, claimed_at: float
    ) -> bool:
        """Post a summary whose claim this instance holds; give the claim back when it
        cannot go out."""
        try:
            self._post(due, notifier, deadline)
        except (DeliveryFailed, ConfigError) as error:
            log.warning("burst summary not posted: %s", error)
            self._store.give_back_summary(due.burst, claimed_at=claimed_at)
            return False
        self._told(due)
        return True

    def _told(self, due: SummaryDue) -> None:
        line = burst_title(due.count, failures=due.failures)
        self._store.summarised(due.burst, due.count, line=line, failures=due.failures)

    def _post(self, due: SummaryDue, notifier: SlackNotifier, deadline: float) -> None:
        burst, count, settings = due.burst, due.count, self._settings
        channel = settings.slack_channel_by_severity.get(burst.severity)
        if due.threaded:
            notifier.post(
                thread_reply(count, burst, settings, due.failures),
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
                        settings,
                        failures=due.failures,
                        summary_every=summary_every(settings, True),
                        severity=burst.severity,
                    ),
                    channel=burst.message_channel,
                    ts=burst.message_ts,
                    deadline=deadline,
                )
            except DeliveryFailed as error:  # the thread has the news; the next one updates
                log.warning("burst alert not updated: %s", error)
            return
        notifier.post(
            burst_message(
                count,
                burst.opener,
                settings,
                failures=due.failures,
                summary_every=summary_every(settings, False),
                continues_since=burst.summarised_count,
                severity=burst.severity,
                failures_since=burst.summarised_failures if due.failures is not None else None,
            ),
            deadline=deadline,
            channel=channel,
            max_wait=SUMMARY_MAX_WAIT_SECONDS,
        )

    def sweep(self, notifier: Callable[[], SlackNotifier], *, deadline: float) -> dict[str, int]:
        """The scheduled pass over open bursts: post what a storm that stopped still
        owes (its closing summary), and forget bursts that are over and told."""
        settings = self._settings
        now = self._wall()
        done = {"open": 0, "summarised": 0, "closed": 0}
        for subject_id in self._store.open_burst_ids():
            found = self._store.get(subject_id)
            if found is None:
                self._store.forget(subject_id)
                done["closed"] += 1
                continue
            done["open"] += 1
            burst, count, failures = found
            # Only a spraying burst's message gives its IP's failures.
            spray = burst.subject.dimension is Dimension.SPRAY
            untold = count.count > burst.summarised_count or (
                spray and failures > burst.summarised_failures
            )
            quiet_for = now - burst.last_arrival
            due = SummaryDue(burst, count, failures if spray else None, False)
            if untold and quiet_for >= SWEEP_QUIET_SECONDS:
                if settings.alert_min_severity > Severity.HIGH:  # no burst messages:
                    self._told(due)  # the digest's line still gets the final count
                    continue
                slack = notifier()
                threaded = bool(burst.message_ts) and slack.can_update
                every = (
                    settings.burst_thread_seconds if threaded else settings.burst_summary_seconds
                )
                if now - burst.last_summary_at < every:
                    continue  # the promised cadence: a later sweep posts it
                due = SummaryDue(burst, count, due.failures, threaded)
                if self._store.claim_summary(burst, wall_now=now) and self.post(
                    due, slack, deadline=deadline, claimed_at=now
                ):
                    done["summarised"] += 1
            elif (
                not untold
                and now >= burst.until_epoch + SWEEP_QUIET_SECONDS
                and quiet_for >= FORGET_QUIET_SECONDS
            ):
                self._store.forget(subject_id)
                done["closed"] += 1
        return done
