"""Escalations: a denial at once, silence after CONFIRM_WITHIN_MINUTES.

`pending_confirmations` runs every minute and escalates what is due; a denial is
escalated by the answer itself, and by the sweep only if that post failed. Each
escalation is claimed with a conditional write before it is posted, so two sweeps (or
a sweep and an answer) at the same moment post it once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from chalicelib import logs
from chalicelib.clock import Clock
from chalicelib.confirm.alert_update import update_alert
from chalicelib.confirm.escalation_message import denial_message, silence_message
from chalicelib.confirm.question import answer_note, minutes_between, minutes_text
from chalicelib.confirm.state import count
from chalicelib.settings import Settings
from chalicelib.slack.delivery import SlackNotifier
from chalicelib.store.day_tally import DayTally
from chalicelib.store.signin_reads import SigninReads
from chalicelib.store.signin_record import ConfirmState
from chalicelib.store.signin_writes import SigninWrites

# What one escalation needs: a post, an update, and the writes around them.
ONE_ESCALATION_SECONDS = 2.0
# An escalation waits at most this long for the channel's send slot.
SLOT_WAIT_SECONDS = 1.0


@dataclass
class Swept:
    due: int = 0
    escalated: int = 0
    failed: int = 0
    skipped: int = 0
    event_ids: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, int]:
        return {
            "due": self.due,
            "escalated": self.escalated,
            "failed": self.failed,
            "skipped": self.skipped,
        }


class Escalations:
    def __init__(
        self,
        settings: Settings,
        *,
        reads: SigninReads,
        writes: SigninWrites,
        notifier: Callable[[], SlackNotifier],
        tally: DayTally,
        clock: Clock,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._reads = reads
        self._writes = writes
        self._notifier = notifier
        self._tally = tally
        self._clock = clock
        self._monotonic = monotonic

    def sweep(self, *, deadline: float) -> Swept:
        swept = Swept()
        if not self._settings.confirm_enabled:
            return swept
        for event_id in self._reads.due(self._clock()):
            swept.due += 1
            if self._monotonic() + ONE_ESCALATION_SECONDS > deadline:
                break  # the next run, a minute from now, takes the rest
            outcome = self.escalate(event_id, deadline=deadline)
            if outcome is True:
                swept.escalated += 1
                swept.event_ids.append(event_id)
            elif outcome is False:
                swept.failed += 1
            else:
                swept.skipped += 1
        logs.emit({"message": "pending_confirmations", **swept.to_dict()})
        return swept

    def escalate(self, event_id: str, *, deadline: float) -> bool | None:
        """Post this item's escalation if it is due and nobody else is posting it:
        True posted, False failed (the next sweep retries), None nothing to do."""
        record = self._reads.read(event_id)
        if record is None or not record.question.escalating:
            return None
        asked = record.question
        now = self._clock()
        lease = self._writes.claim_escalation(
            event_id, seen=asked.state, after=asked.after_claim, now=now
        )
        if lease is None:
            return None
        denied = asked.state is ConfirmState.DENIED
        settings = self._settings
        within = minutes_text(settings.confirm_within_minutes)
        if denied:
            message = denial_message(record.signin, asked.user_id, settings, record.event_time)
            note = answer_note(
                ConfirmState.DENIED,
                asked.user_id,
                minutes=minutes_between(asked.asked_at, asked.answered_at or now),
            )
        else:
            message = silence_message(
                record.signin, asked.user_id, settings, record.event_time, within
            )
            note = answer_note(ConfirmState.UNANSWERED, asked.user_id, within=within)
        channel = asked.alert.channel if asked.alert else None
        try:
            notifier = self._notifier()
            posted = notifier.post(
                message, channel=channel, deadline=deadline, max_wait=SLOT_WAIT_SECONDS
            )
        except Exception as error:  # Slack down or slow: released for the next sweep
            self._writes.release_escalation(event_id, lease=lease)
            logs.emit(
                {
                    "message": "confirm: escalation not posted",
                    "event_id": event_id,
                    "error": str(error)[:300],
                }
            )
            return False
        self._writes.escalated(event_id, lease=lease, at=self._clock(), ts=posted.reference)
        if not denied:  # a denial was counted when it was recorded
            count(self._tally, record.event_time.date(), "unanswered")
        update_alert(notifier, asked.alert, note, deadline)
        logs.emit(
            {
                "message": "confirm: escalated",
                "event_id": event_id,
                "why": "denied" if denied else "unanswered",
                "slack_user": asked.user_id,
            }
        )
        return True
