"""A clock for tests that only moves when slept on.

Real time does not move it: only sleeping on it does. As soon as every thread that uses
it is asleep, it jumps to the earliest wake-up instead of waiting. A storm paced at one
Slack message a second then runs as fast as the code does, and every part that reads
the clock (send slots, leases, Retry-After, Slack's rate limit in the sink) sees the
times it would see in production, whatever the machine's load: a thread that works
while another sleeps keeps the sleeper waiting, so "Lambda instances" on threads
(`run_in_threads`) wake in the order their sleeps say, not in the order the machine
happens to run them.

Only the thread that made the clock, and the threads `run_in_threads` starts, may sleep
on it.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from chalicelib.clock import Clocks

# A sleeper whose wake-up never comes (a thread blocked outside the clock) gives up
# after this much real time, rather than hang the test run.
STUCK_AFTER_SECONDS = 300.0
# Where the clock's monotonic time starts (only differences mean anything).
MONOTONIC_ORIGIN = 1000.0


class ClockStuck(RuntimeError):
    pass


class FastForward:
    def __init__(self, start: datetime | None = None) -> None:
        """A clock that reads `start` (by default, the real time now) until slept on."""
        self._start = start.timestamp() if start is not None else time.time()
        # A fixed origin, not the machine's: the same sleeps give the same floats (and the
        # same rounding) in every run.
        self._monotonic_start = MONOTONIC_ORIGIN
        self._skipped = 0.0
        self._changed = threading.Condition()
        self._awake = 1  # threads using the clock that are not asleep: the creator's
        self._wakeups: list[float] = []
        self._random = random.Random(0)

    # -- reading ---------------------------------------------------------------------
    def time(self) -> float:
        """Wall-clock seconds since the epoch, like `time.time()`."""
        return self._start + self._skipped

    def monotonic(self) -> float:
        """Like `time.monotonic()`: only differences mean anything."""
        return self._monotonic_start + self._skipped

    @property
    def skipped(self) -> float:
        """Seconds the clock has moved since it was made."""
        return self._skipped

    # -- waiting ---------------------------------------------------------------------
    def sleep(self, seconds: float) -> None:
        """Wait until every other thread on the clock sleeps or finishes, and this
        wake-up is the earliest; then the clock jumps to it."""
        with self._changed:
            target = self.monotonic() + max(0.0, seconds)
            self._wakeups.append(target)
            self._awake -= 1
            self._changed.notify_all()
            give_up = time.monotonic() + STUCK_AFTER_SECONDS
            try:
                while (left := target - self.monotonic()) > 0:
                    if self._awake <= 0 and min(self._wakeups) >= target:
                        self._skipped += left  # everyone waits, and I am first: jump
                        break
                    if time.monotonic() > give_up:
                        raise ClockStuck(f"no wake-up in {STUCK_AFTER_SECONDS:g} s")
                    self._changed.wait(1.0)  # for the others to sleep or finish
            finally:
                self._wakeups.remove(target)
                self._awake += 1
                self._changed.notify_all()

    def advance(self, seconds: float = 0.0, **delta: float) -> None:
        """What a test calls to let time pass: `advance(2.5)`, `advance(minutes=5)`."""
        self.sleep(seconds + timedelta(**delta).total_seconds())

    def clocks(self) -> Clocks:
        """This clock as a `Container`'s time source, with jitter seeded: every run of
        a test waits the same."""
        return Clocks(
            time=self.time, monotonic=self.monotonic, sleep=self.sleep, random=self._random
        )

    def now(self) -> datetime:
        """The wall clock as an aware UTC datetime (the app's `Clocks.now`)."""
        return self.clocks().now()

    def run_in_threads(self, *work: Callable[[], None]) -> None:
        """Run each callable in its own thread on this clock and wait for all of them.
        The calling thread does not use the clock meanwhile."""
        with self._changed:
            self._awake += len(work) - 1
        threads = [threading.Thread(target=self._run, args=(job,)) for job in work]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with self._changed:
            self._awake += 1
            self._changed.notify_all()

    def _run(self, job: Callable[[], None]) -> None:
        try:
            job()
        finally:
            with self._changed:
                self._awake -= 1
                self._changed.notify_all()
