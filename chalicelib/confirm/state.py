"""What a question's answer means, and its digest counters. The question's states, what
each allows and every write on the sign-in's item are store's (`store/signin_record.py`,
`store/signin_writes.py`): confirm decides, store keeps the item."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from chalicelib import logs
from chalicelib.store.day_tally import DayTally
from chalicelib.store.signin_record import ConfirmState


class Answer(StrEnum):
    WAS_ME = "was_me"
    NOT_ME = "not_me"

    @property
    def state(self) -> ConfirmState:
        """The state this answer records."""
        return ConfirmState.CONFIRMED if self is Answer.WAS_ME else ConfirmState.DENIED


def count(tally: DayTally, day: date, name: str) -> None:
    """One more question asked, confirmed, denied or unanswered in the day's digest
    counters. Only counted, so a failure is logged, never raised into an answer."""
    try:
        tally.count(day, {name: 1})
    except Exception as error:
        logs.emit({"message": "confirm: not counted", "counter": name, "error": repr(error)})
