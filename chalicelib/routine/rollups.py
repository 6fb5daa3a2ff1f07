"""Telling the roll-ups: the every-minute sweep (`burst_summaries`' schedule) posts each
closed webhook window that had routine sign-ins, once, and keeps each Web API day's
message up to date; a routine sign-in on the Web API refreshes its day's message at
once (`refresh`). Every tell is under the roll-up's lease (store.py), so two
invocations never post one roll-up twice, and what a failed post did not tell stays
for the next sweep.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from chalicelib import logs
from chalicelib.routine.message import rollup_message
from chalicelib.routine.periods import Period, PeriodKind
from chalicelib.routine.store import RollupState, RoutineStore
from chalicelib.settings import ConfigError, Settings
from chalicelib.slack.delivery import DeliveryFailed, SlackNotifier

log = logging.getLogger(__name__)

# A window is told this long after it closes: the commits of sign-ins that arrived in
# its last seconds have landed by then.
WINDOW_GRACE_SECONDS = 10
# A roll-up's lease outlasts one Lambda invocation (60 s), so a dead holder frees it.
LEASE_SECONDS = 90
# A roll-up waits at most this long for the channel's send slot; the next sweep retries.
SLOT_WAIT_SECONDS = 2.0


@dataclass
class RoutineSwept:
    pending: int = 0
    posted: int = 0
    updated: int = 0
    failed: int = 0
    forgotten: int = 0

    def to_dict(self) -> dict[str, int]:
        return {f"routine_{name}": value for name, value in vars(self).items()}


class RoutineRollups:
    def __init__(
        self, settings: Settings, store: RoutineStore, *, wall_clock: Callable[[], float]
    ) -> None:
        self._settings = settings
        self._store = store
        self._wall = wall_clock

    def sweep(self, notifier: Callable[[], SlackNotifier], *, deadline: float) -> RoutineSwept:
        swept = RoutineSwept()
        for state in self._store.pending():
            swept.pending += 1
            now = self._wall()
            over = state.period.is_over(now - WINDOW_GRACE_SECONDS)
            if state.untold == 0:
                if over:
                    self._store.forget(state)
                    swept.forgotten += 1
                continue
            if state.period.kind is PeriodKind.WINDOW and not over:
                continue  # a window is told once, when it has closed
            try:
                self._tell(state, notifier, deadline, swept)
            except Exception as error:  # one roll-up's trouble never stops the others
                log.error("routine roll-up not told: %s", type(error).__name__)
                swept.failed += 1
        logs.emit({"message": "routine roll-ups", **swept.to_dict()})
        return swept

    def refresh(
        self, period: Period, notifier: Callable[[], SlackNotifier], *, deadline: float
    ) -> bool:
        """A routine sign-in on the Web API: its day's message shows it now. Best
        effort (the sweep tells what this could not); True when the message changed."""
        state = self._store.state(period)
        if state is None or state.untold == 0:
            return False
        swept = RoutineSwept()
        self._tell(state, notifier, deadline, swept)
        return bool(swept.posted or swept.updated)

    def _tell(
        self,
        state: RollupState,
        notifier: Callable[[], SlackNotifier],
        deadline: float,
        swept: RoutineSwept,
    ) -> None:
        period, now = state.period, self._wall()
        if state.lease_until > now:
            return  # another invocation is telling it
        until = now + LEASE_SECONDS
        if not self._store.claim(period, now=now, until=until):
            return
        # Read after the claim: every entry committed before it is in the message.
        entries = self._store.entries(period)
        settings = self._settings
        try:
            slack = notifier()
            if period.kind is PeriodKind.DAY:
                message = rollup_message(period, entries, settings)
                ts, channel = state.ts, state.channel
                if ts and self._updated(slack, message, channel, ts, deadline):
                    swept.updated += 1
                else:
                    delivered = slack.post(
                        message,
                        deadline=deadline,
                        channel=period.channel or None,
                        max_wait=SLOT_WAIT_SECONDS,
                    )
                    ts, channel = delivered.reference, delivered.channel
                    swept.posted += 1
                told = [entry.event_id for entry in entries]
                self._store.told(period, told, until=until, ts=ts, channel=channel)
                return
            new = [entry for entry in entries if entry.event_id not in state.told]
            if new:
                late = bool(state.told)
                slack.post(
                    rollup_message(period, new, settings, late=late),
                    deadline=deadline,
                    channel=period.channel or None,
                    max_wait=SLOT_WAIT_SECONDS,
                )
                swept.posted += 1
            self._store.told(period, [entry.event_id for entry in new], until=until)
        except (DeliveryFailed, ConfigError) as error:
            log.warning("routine roll-up not posted: %s", error)
            swept.failed += 1
            self._store.release(period, until=until)

    def _updated(
        self,
        slack: SlackNotifier,
        message: dict[str, object],
        channel: str,
        ts: str,
        deadline: float,
    ) -> bool:
        """Edit the day's message in place; False when it is gone (deleted in Slack),
        so that a new one is posted."""
        try:
            slack.update(message, channel=channel, ts=ts, deadline=deadline)
        except DeliveryFailed as error:
            if not error.permanent:
                raise
            log.warning("routine roll-up not updated (%s): posting a new one", error.reason)
            return False
        return True
