"""GIVEN the tests' clock WHEN code sleeps on it THEN no real time is spent waiting,
and threads that share it wake in the order real time would wake them."""

from __future__ import annotations

import time

from localdev.fast_forward import FastForward


def test_a_lone_sleeper_jumps_at_once() -> None:
    clock = FastForward()
    started_real, started = time.monotonic(), clock.monotonic()
    wall = clock.time()

    clock.sleep(3600)

    assert clock.monotonic() - started >= 3600
    assert clock.time() - wall >= 3600
    assert time.monotonic() - started_real < 5  # not an hour
    assert clock.skipped >= 3599


def test_real_time_still_moves_it() -> None:
    clock = FastForward()
    before = clock.monotonic()

    time.sleep(0.05)

    assert clock.monotonic() - before >= 0.05


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

    assert [name for name, _ in woke] == ["worker busy until", "sleeper", "worker"]
    times = dict(woke)
    assert times["worker busy until"] < 5  # the sleeper did not jump while the worker ran
    assert 5 <= times["sleeper"] < 6
    assert times["worker"] >= 10.2
    assert time.monotonic() - began < 5


def test_a_frozen_clock_moves_only_when_slept_on() -> None:
    clock = FastForward()
    clock.freeze()
    before = clock.monotonic()

    time.sleep(0.05)
    assert clock.monotonic() == before

    clock.sleep(2)
    assert clock.monotonic() == before + 2
