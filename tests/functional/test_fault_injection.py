"""GIVEN one alerting sign-in of each kind (a root success, a failure that opens a
burst, a success from a new IP) WHEN a fault hits each DynamoDB call (throttled, timed
out, refused, any exception; or the answer lost after the write was made), each step of
the pipeline, or the Slack post, once or on every try, and the event is replayed as
Lambda does (two retries a minute apart, then the on-failure queue and a redrive through
the real handler) THEN Slack has exactly one message for the sign-in, it is counted
exactly once, and no invocation returned normally without a post."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

import app as app_module
from chalicelib.alerting.values import Step
from chalicelib.container import Container
from chalicelib.store.schema import day_counter_key
from localdev.events import console_login
from localdev.fast_forward import FastForward
from localdev.slack_sink import Reply, SlackSink
from tests.conftest import TABLE, slack_env

T0 = datetime(2026, 1, 1, 9, 0, 0, tzinfo=UTC)
LAMBDA_RETRY_GAPS = (timedelta(minutes=1), timedelta(minutes=2))
REDRIVE_AFTER = timedelta(minutes=30)


def throttled(operation: str) -> Exception:
    error = {"Error": {"Code": "ThrottlingException", "Message": "Rate of requests exceeds"}}
    return ClientError(error, operation)  # type: ignore[arg-type]


FAULTS: dict[str, Callable[[str], Exception]] = {
    "throttle": throttled,
    "timeout": lambda _: ReadTimeoutError(endpoint_url="https://dynamodb"),
    "refused": lambda _: EndpointConnectionError(endpoint_url="https://dynamodb"),
    "exception": lambda _: RuntimeError("injected"),
}


@dataclass
class Fault:
    """Where the fault hits: the `call`-th DynamoDB call (before it is made, or after it
    was made with the answer lost), a step, or Slack."""

    kind: str
    call: int | None = None
    answer_lost: bool = False
    step: Step | None = None
    slack: bool = False
    every_try: bool = False

    def __str__(self) -> str:
        where = (
            f"call {self.call}{' (answer lost)' if self.answer_lost else ''}"
            if self.call is not None
            else f"step {self.step}"
            if self.step
            else "slack"
        )
        return f"{self.kind} at {where}{' on every try' if self.every_try else ''}"


@dataclass
class Injector:
    fault: Fault | None = None
    calls: int = 0
    log: list[str] = field(default_factory=list)

    def before(self, model: Any, **_: Any) -> None:
        self._maybe(model.name, after=False)
        self.calls += 1

    def after(self, model: Any, **_: Any) -> None:
        self._maybe(model.name, after=True, index=self.calls - 1)

    def _maybe(self, operation: str, *, after: bool, index: int | None = None) -> None:
        fault = self.fault
        index = self.calls if index is None else index
        if fault and fault.call == index and fault.answer_lost == after:
            self.log.append(f"{fault} ({operation})")
            raise FAULTS[fault.kind](operation)

    def step(self, step: Step) -> None:
        if self.fault and self.fault.step is step:
            self.log.append(str(self.fault))
            raise RuntimeError(f"injected at {step}")


@dataclass(frozen=True)
class Scenario:
    name: str
    event: Callable[[int], dict[str, Any]]
    setup: Callable[[int], list[dict[str, Any]]]
    text: str
    settings: dict[str, str] = field(default_factory=dict)


def account(run: int) -> str:
    return f"{100_000_000_000 + run}"


def day(run: int) -> datetime:
    return T0 + timedelta(days=run)


SCENARIOS = [
    Scenario(
        "root success",
        lambda run: console_login(f"r{run}", day(run), success=True, account=account(run)),
        lambda run: [],
        "CRITICAL: Root console sign-in succeeded",
    ),
    Scenario(
        "failure that opens a burst",
        lambda run: console_login(f"b{run}", day(run), account=account(run)),
        lambda run: [],
        "HIGH: possible brute force on root user: 1 failed sign-in",
        {"BURST_ROOT_FAILURES": "1"},
    ),
    Scenario(
        "success from a new IP",
        lambda run: console_login(
            f"n{run}",
            day(run) + timedelta(hours=2),
            user="alice",
            ip="8.8.4.4",
            success=True,
            mfa=True,
            account=account(run),
        ),
        lambda run: [
            console_login(
                f"n{run}-base",
                day(run),
                user="alice",
                ip="8.8.8.8",
                success=True,
                mfa=True,
                account=account(run),
            )
        ],
        "MEDIUM: Console sign-in succeeded (new IP)",
    ),
]


def faults_for(calls: int) -> list[Fault]:
    once = [Fault(kind, call=n) for n in range(calls) for kind in FAULTS]
    once += [Fault("timeout", call=n, answer_lost=True) for n in range(calls)]
    once += [Fault("exception", step=step) for step in Step]
    once += [Fault("slack", slack=True)]
    every = [Fault("throttle", call=n, every_try=True) for n in range(calls)]
    every += [Fault("exception", step=step, every_try=True) for step in Step]
    every += [Fault("slack", slack=True, every_try=True)]
    return once + every


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda scenario: scenario.name)
def test_every_fault_ends_in_one_message_and_one_count(
    scenario: Scenario,
    invoke: Any,
    dynamodb: Any,
    slack_sink: SlackSink,
    fast_forward: FastForward,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    injector = Injector()
    env = slack_env(slack_sink, SLACK_MAX_ATTEMPTS="1", **scenario.settings)
    # Retries wait on the fast-forward clock: a fault on every try ends at the deadline
    # without waiting for it.
    container = Container(env, clocks=fast_forward.clocks(), on_step=injector.step)
    container.dynamodb.meta.events.register("before-call.dynamodb", injector.before)
    container.dynamodb.meta.events.register("after-call.dynamodb", injector.after)
    monkeypatch.setattr(app_module, "container", container)

    # A clean run tells how many DynamoDB calls the first try makes.
    injector.calls = 0
    for event in scenario.setup(0):
        invoke(event)
    injector.calls = 0
    assert invoke(scenario.event(0))["outcome"] == "posted"
    calls = injector.calls

    failures: list[str] = []
    for run, fault in enumerate(faults_for(calls), start=1):
        problem = replay(run, fault, scenario, invoke, injector, fast_forward, slack_sink, dynamodb)
        if problem:
            failures.append(f"{fault}: {problem}")
    assert failures == []


def replay(
    run: int,
    fault: Fault,
    scenario: Scenario,
    invoke: Any,
    injector: Injector,
    clock: FastForward,
    sink: SlackSink,
    dynamodb: Any,
) -> str:
    """One sign-in's life under one fault; what went wrong, or ''."""
    injector.fault = None
    setup = scenario.setup(run)
    for event in setup:
        invoke(event)
    before, refused, fired = len(sink.delivered), sink.count(500), len(injector.log)
    event = scenario.event(run)
    injector.fault = fault
    tries = [*LAMBDA_RETRY_GAPS, None]
    for attempt, gap in enumerate(tries):
        injector.calls = 0
        if attempt and not fault.every_try:
            injector.fault = None
        if injector.fault and injector.fault.slack:
            sink.then(Reply(500, "internal_error"))
        try:
            outcome = invoke(event)["outcome"]
        except Exception:
            if gap is not None:
                clock.advance(gap.total_seconds())
            continue
        if outcome not in ("posted", "duplicate") or len(sink.delivered) == before:
            return f"try {attempt + 1} returned {outcome} with no post"
        break
    else:
        # In the on-failure queue; the operator redrives it once AWS and Slack are back.
        injector.fault = None
        sink.script.clear()
        clock.advance(REDRIVE_AFTER.total_seconds())
        outcome = invoke(event)["outcome"]
        if outcome not in ("posted", "duplicate"):
            return f"redrive returned {outcome}"
    sink.script.clear()
    if len(injector.log) == fired and sink.count(500) == refused:
        return "the fault never hit"
    posted = [message.get("text", "") for message in sink.messages[before:]]
    if len(posted) != 1 or not posted[0].startswith(scenario.text):
        return f"posted {posted}"
    counter = dynamodb.get_item(
        TableName=TABLE, Key=day_counter_key(day(run).date().isoformat())
    ).get("Item", {})
    counted = int(counter.get("signins", {}).get("N", "0"))
    if counted != len(setup) + 1:
        return f"counted {counted} times"
    return ""
