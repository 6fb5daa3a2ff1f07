"""GIVEN the tests' clock WHEN code sleeps on it THEN no real time is spent waiting,
and threads that share it wake in the order real time would wake them."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from localdev.fast_forward import FastForward


def test_a_lone_sleeper_jumps_at_once() -> None:
    clock = FastForward()
    started_real, started = time.monotonic(), clock.monotonic()
    wall = clock.time()

    clock.sleep(3600)

    assert clock.monotonic() - started == pytest.approx(3600)
    assert clock.time() - wall == pytest.approx(3600)
    assert time.monotonic() - started_real < 5  # not an hour
    assert clock.skipped >= 3599


def test_real_time_does_not_move_it() -> None:
    clock = FastForward()
    before, wall = clock.monotonic(), clock.time()

    time.sleep(0.05)

    assert (clock.monotonic(), clock.time()) == (before, wall)


def test_it_starts_where_the_test_says_and_moves_by_what_it_is_told() -> None:
    start = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    clock = FastForward(start)

    clock.advance(minutes=5, seconds=1)

    assert clock.now() == start + timedelta(minutes=5, seconds=1)
    assert clock.clocks().now() == clock.now()


def test_threads_wake_in_order_and_a_worker_keeps_a_sleeper_waiting() -> None:
    clock = FastForward()
    woke: list[tuple[str, float]] = []
    start = clock.monotonic()

    def slow_then_sleep() -> None:
        time.sleep(0.2)  # works, in real time, while the other sleeps
        woke.append(("worker busy until", clock.monotonic() - start))
        clock.sleep(10)
        woke.append(("worker", clock.monotonic() - start))

    def sleeper() -> None:
        clock.sleep(5)
        woke.append(("sleeper", clock.monotonic() - start))

    began = time.monotonic()
    clock.run_in_threads(slow_then_sleep, sleeper)

    # The worker's real 0.2 s is no time on the clock: the sleeper waited for it to
    # sleep, then each woke exactly when its sleep said.
    assert woke == [
        ("worker busy until", 0.0),
        ("sleeper", pytest.approx(5.0)),
        ("worker", pytest.approx(10.0)),
    ]
    assert time.monotonic() - began < 5
