"""AWS clients whose calls fit inside the time a handler has left.

boto3's defaults (60 s connect and read timeouts, legacy retries) let one DynamoDB
endpoint that accepts a connection and never answers hold a handler long past its
Lambda deadline, and a Lambda timeout loses what the handler was doing. So every client
gets connect and read timeouts and an attempt count from the settings, and a client
built for a handler with a deadline shortens each attempt's read timeout to the time
left, and refuses to start one that could not get an answer: the call raises
`DeadlineExceeded`, the handler raises, and Lambda's retry keeps the event.

What the guard cannot shorten: the connect timeout (it is the pool's; near the end the
guard counts on a connection already open), and botocore's wait before retrying a
throttled call (rand(0, 1) * 2 ** (attempt - 1) s in standard mode; other errors wait
at most tens of milliseconds).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Kept back at the end of the invocation so the handler can still raise (and log) in time.
SAFETY_MARGIN_SECONDS = 0.3
# An attempt with less time than this to read its answer is not worth starting.
MIN_READ_SECONDS = 0.1
# When the Lambda context cannot tell us (local runs), assume this much time is left.
DEFAULT_REMAINING_MS = 30_000


class DeadlineExceeded(RuntimeError):
    """An AWS call could not finish before the invocation's deadline; worth a retry."""


@dataclass(frozen=True)
class CallLimits:
    """One client's timeouts and attempts."""

    connect_timeout: float
    read_timeout: float
    max_attempts: int

    def botocore_config(self) -> Any:
        from botocore.config import Config

        return Config(
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            retries={"max_attempts": self.max_attempts, "mode": "standard"},
        )

    def tightened(self, *, connect: float, read: float, max_attempts: int) -> CallLimits:
        """These limits, but no looser than the given ones."""
        return CallLimits(
            min(self.connect_timeout, connect),
            min(self.read_timeout, read),
            min(self.max_attempts, max_attempts),
        )

    def read_timeout_within(self, remaining: float) -> float | None:
        """The read timeout for an attempt started with `remaining` seconds left, or
        None when no attempt fits. The connect timeout is set aside when there is room
        for it; when there is not, the attempt still goes, counting on the connection
        the invocation's earlier calls left open: the last write (a release after Slack
        failed) is worth more than a guarantee about a connect that rarely happens."""
        spare = remaining - SAFETY_MARGIN_SECONDS
        read = min(self.read_timeout, spare - self.connect_timeout)
        if read < MIN_READ_SECONDS:
            read = min(self.read_timeout, spare)
        return read if read >= MIN_READ_SECONDS else None


class InvocationDeadline:
    """The running invocation's deadline, as a `clock()` value; None outside one.

    One Lambda container runs one invocation at a time, so the container keeps one of
    these and each handler sets it when it starts.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.deadline: float | None = None

    def start(self, deadline: float) -> float:
        self.deadline = deadline
        return deadline

    def start_within(self, seconds: float) -> float:
        return self.start(self._clock() + seconds)

    def start_for(self, context: Any) -> float:
        """A Lambda invocation's deadline: the time its context says is left."""
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        remaining_ms = remaining() if callable(remaining) else DEFAULT_REMAINING_MS
        return self.start_within(max(0.0, float(remaining_ms)) / 1000)

    def remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - self._clock()

    def guard(self, client: Any, limits: CallLimits) -> Any:
        """Make `client` fit each attempt it sends into the time left."""
        service = client.meta.service_model.service_name

        def before_attempt(request: Any, **_: Any) -> None:
            remaining = self.remaining()
            if remaining is None:
                return
            context = getattr(request, "context", None)
            read = limits.read_timeout_within(remaining)
            if read is None or context is None:
                attempt = context.get("retries", {}).get("attempt", 1) if context else 1
                raise DeadlineExceeded(
                    f"{service}: {max(remaining, 0.0):.2f} s left, too little for attempt {attempt}"
                )
            # botocore reads a per-request read timeout from the request's context.
            context["read_timeout"] = read

        # request-created fires for every attempt, after botocore's wait before it, and
        # outside the retry loop's own error handling, so the exception reaches the caller.
        client.meta.events.register("request-created", before_attempt)
        return client
