"""Which roll-up a routine sign-in belongs to: judged by its arrival (the clock), so a
roll-up that closed never receives a late record, and every sign-in is named in Slack
within a window (and a sweep) of arriving.

With a webhook a period is a ROUTINE_SUMMARY_MINUTES window (aligned to the epoch, so
60 minutes are clock hours); with the Web API it is the day in DISPLAY_TIMEZONE, one
message per channel, updated in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from chalicelib.settings import Settings


class PeriodKind(StrEnum):
    WINDOW = "window"  # webhook: posted once the window has closed
    DAY = "day"  # Web API: one message a day, updated as sign-ins arrive


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    start: int  # epoch seconds, inclusive
    end: int  # epoch seconds, exclusive
    channel: str = ""  # the Web API channel ("" = SLACK_CHANNEL); webhooks have one

    @property
    def id(self) -> str:
        """The roll-up's name in the ledger: everything needed to rebuild it."""
        return f"{self.kind.value}|{self.start}|{self.end}|{self.channel}"

    @classmethod
    def parse(cls, period_id: str) -> Period | None:
        """The period a ledger name stands for; None for a name this code did not write."""
        parts = period_id.split("|", 3)
        if len(parts) != 4:
            return None
        kind, start, end, channel = parts
        try:
            return cls(PeriodKind(kind), int(start), int(end), channel)
        except ValueError:
            return None

    def is_over(self, now: float) -> bool:
        return now >= self.end


def period_for(arrival: float, settings: Settings, *, web_api: bool, channel: str = "") -> Period:
    """The roll-up a sign-in arriving at `arrival` (epoch seconds) belongs to."""
    if web_api:
        zone = ZoneInfo(settings.display_timezone)
        local = datetime.fromtimestamp(arrival, zone)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        # The next local midnight, whatever the day's length (DST): via the date.
        tomorrow = (midnight + timedelta(days=1, hours=12)).replace(hour=0)
        return Period(PeriodKind.DAY, int(midnight.timestamp()), int(tomorrow.timestamp()), channel)
    length = settings.routine_summary_minutes * 60
    start = int(arrival // length) * length
    return Period(PeriodKind.WINDOW, start, start + length)
