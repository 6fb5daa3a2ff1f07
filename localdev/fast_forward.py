"""A clock for tests that does not wait for nothing.

Time passes as usual, but sleeping on the clock skips ahead: as soon as every thread
that uses it is asleep, it jumps to the earliest wake-up instead of waiting. A storm
paced at one Slack message a second then runs as fast as the code does, and every part
that reads the clock (send slots, Retry-After, Slack's rate limit in the sink) sees
the times it would see in production. A thread that works while another sleeps lets
real time pass for the sleeper, so "Lambda instances" on threads (`run_in_threads`)
interleave as they would at real speed. Real sleeps (`time.sleep`) still move it,
unless the test `freeze`s it: then only sleeping on it does, whatever the machine's load.

Only the thread that made the clock, and the threads `run_in_threads` starts, may sleep
on it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

# A sleeper on a frozen clock whose wake-up never comes (a thread blocked outside the
# clock) gives up after this much real time, rather than hang the test run.
STUCK_AFTER_SECONDS = 300.0


class ClockStuck(RuntimeError):
    pass


class FastForward:
    def __init__(self) -> None:
        self._skipped = 0.0
        self._frozen: tuple[float, float] | None = None  # (time, monotonic) when frozen
        self._changed = threading.Condition()
        self._awake = 1  # threads using the clock that are not asleep: the creator's
        self._wakeups: list[float] = []

    # -- reading ---------------------------------------------------------------------
    def time(self) -> float:
        """Wall-clock seconds since the epoch, like `time.time()`."""
        return (self._frozen[0] if self._frozen else time.time()) + self._skipped

    def monotonic(self) -> float:
        """Like `time.monotonic()`: only differences mean anything."""
        return (self._frozen[1] if self._frozen else time.monotonic()) + self._skipped

    def freeze(self) -> None:
        """From now on only sleeping on the clock moves it. A sleeper then waits for
        every other thread to sleep or finish, however long that takes in real time."""
        self._frozen = (time.time(), time.monotonic())

    @property
    def skipped(self) -> float:
        """Seconds the clock has jumped ahead of real time."""
        return self._skipped

    # -- waiting ---------------------------------------------------------------------
    def sleep(self, seconds: float) -> None:
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
                    if self._frozen and time.monotonic() > give_up:
                        raise ClockStuck(f"no wake-up in {STUCK_AFTER_SECONDS:g} s")
                    # For real time to pass (unless frozen), or for the others to sleep.
                    self._changed.wait(1.0 if self._frozen else left)
            finally:
                self._wakeups.remove(target)
                self._awake += 1
                self._changed.notify_all()

    advance = sleep  # what a test calls to let time pass

    def clocks(self) -> dict[str, Any]:
        """This clock as `Container`'s wall clock, monotonic clock and sleep."""
        return {"wall_clock": self.time, "monotonic": self.monotonic, "sleep": self.sleep}

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
