"""A clock for tests that never waits for nothing.

Time stands still while code runs and moves only when it sleeps: as soon as every
thread that uses the clock is asleep, the clock jumps to the earliest wake-up. A storm
paced at one Slack message a second then runs as fast as the code does, whatever the
machine's load, and every part that reads the clock (send slots, Retry-After, Slack's
rate limit in the sink) sees the times it would see in production. A thread that works
while another sleeps keeps the sleeper waiting, so "Lambda instances" on threads
(`run_in_threads`) interleave as they would at real speed.

Only the thread that made the clock, and the threads `run_in_threads` starts, may sleep
on it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

# The clock starts at the real time, so that what it stamps looks current.
# A sleeper whose wake-up never comes (a thread blocked outside the clock) gives up
# after this much real time, rather than hang the test run.
STUCK_AFTER_SECONDS = 120.0


class ClockStuck(RuntimeError):
    pass


class FastForward:
    def __init__(self) -> None:
        self._now = time.time()
        self._started = self._now
        self._changed = threading.Condition()
        self._awake = 1  # threads using the clock that are not asleep: the creator's
        self._wakeups: list[float] = []

    # -- reading ---------------------------------------------------------------------
    def time(self) -> float:
        """Wall-clock seconds since the epoch, like `time.time()`."""
        return self._now

    def monotonic(self) -> float:
        """Like `time.monotonic()`: only differences mean anything."""
        return self._now

    @property
    def elapsed(self) -> float:
        """Seconds the clock has moved since it was made."""
        return self._now - self._started

    # -- waiting ---------------------------------------------------------------------
    def sleep(self, seconds: float) -> None:
        with self._changed:
            target = self._now + max(0.0, seconds)
            self._wakeups.append(target)
            self._awake -= 1
            self._changed.notify_all()
            give_up = time.monotonic() + STUCK_AFTER_SECONDS
            try:
                while self._now < target:
                    if self._awake <= 0 and min(self._wakeups) >= target:
                        self._now = target  # everyone waits, and I am first: jump
                        break
                    if time.monotonic() > give_up:
                        raise ClockStuck(f"no wake-up in {STUCK_AFTER_SECONDS:g} s of real time")
                    self._changed.wait(1.0)
            finally:
                self._wakeups.remove(target)
                self._awake += 1
                self._changed.notify_all()

    advance = sleep  # what a test calls to let time pass

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
