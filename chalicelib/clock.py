"""Time as the app reads it: every part takes a clock, so tests can move it.

`Clocks` is the one source a container hands its parts: the wall clock (what is
stored and shown), the monotonic clock (what deadlines are measured on), the sleep that
waits on them and the random source that spreads those waits (jitter). Built from one
source, they never disagree: a test that moves one moves all three, and seeds the
jitter, so a retry waits the same in every run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from random import Random
from time import monotonic as _monotonic
from time import sleep as _sleep
from time import time as _time

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Clocks:
    time: Callable[[], float] = _time  # seconds since the epoch
    monotonic: Callable[[], float] = _monotonic  # only differences mean anything
    sleep: Callable[[float], None] = _sleep
    random: Random = field(default_factory=Random)

    def now(self) -> datetime:
        """The wall clock as an aware UTC datetime."""
        return datetime.fromtimestamp(self.time(), UTC)


REAL_TIME = Clocks()  # what Lambda runs on
