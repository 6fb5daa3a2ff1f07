"""Slack delivery: an incoming webhook or the Web API, with retries inside a deadline.

`transports` does the HTTP and the payload (slack_sdk for the Web API, `webhook_post`
for a webhook); this module decides what may be retried and how long to wait, like
slack_sdk's retry handlers keep "may I retry" apart from "wait". Its own retry handlers
are turned off because they do not know the Lambda's deadline.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib.clock import REAL_TIME, Clocks
from chalicelib.slack.posted import Window, with_alert_metadata
from chalicelib.slack.transports import AttemptKind, AttemptResult, Transport

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivered:
    attempts: int
    reference: str
    channel: str = ""


class DeliveryFailed(Exception):
    """Slack did not take the message. Raised so Lambda's retry keeps the alert."""

    def __init__(self, reason: str, *, attempts: int, permanent: bool) -> None:
        super().__init__(f"Slack delivery failed after {attempts} attempt(s): {reason}")
        self.reason = reason
        self.attempts = attempts
        self.permanent = permanent


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay: float = 0.25
    max_delay: float = 8.0
    attempt_timeout: float = 5.0
    # Time kept back at the end for writing the outcome to the ledger.
    reserve: float = 1.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: a random wait up to base * 2^(attempt-1), capped."""
        return rng.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


class SlotReserver(Protocol):
    def reserve(self, destination: str, *, latest: float | None = None) -> float | None: ...


class SlackNotifier:
    def __init__(
        self,
        transport: Transport,
        *,
        policy: RetryPolicy | None = None,
        slots: SlotReserver | None = None,
        clocks: Clocks = REAL_TIME,
        rng: random.Random | None = None,
    ) -> None:
        self._transport = transport
        self._policy = policy or RetryPolicy()
        self._slots = slots
        # Send slots are wall-clock times; deadlines and waits are on the monotonic clock.
        self._sleep = clocks.sleep
        self._monotonic = clocks.monotonic
        self._wall_clock = clocks.time
        self._rng = rng or clocks.random

    @property
    def can_update(self) -> bool:
        return self._transport.can_update

    def deadline_within(self, seconds: float, deadline: float) -> float:
        """`deadline`, or `seconds` from now if that is sooner (on this notifier's clock)."""
        return min(deadline, self._monotonic() + seconds)

    def post(
        self,
        message: Mapping[str, Any],
        *,
        deadline: float,
        channel: str | None = None,
        thread_ts: str | None = None,
        max_wait: float | None = None,
        alert_id: str = "",
        posted_since: float | None = None,
    ) -> Delivered:
        """Post, retrying what can be retried, until `deadline` (a `monotonic()` time).

        The first attempt waits for this channel's send slot, at most `max_wait` seconds
        when given. Raises DeliveryFailed when Slack refuses for good, no slot is free
        in time, or time runs out.

        `alert_id` (the CloudTrail eventID) makes a Web API post findable: it goes into
        the message's metadata, and after an attempt that Slack may have taken without
        saying so, the channel is read for it before posting again (slack/posted.py).
        `posted_since` (a wall-clock time) says an earlier invocation may have posted it
        since then: look before the first post too.
        """
        if thread_ts:
            message = {**message, "thread_ts": thread_ts}
        transport = self._transport
        look: Callable[[float], AttemptResult] | None = None
        if alert_id and transport.can_look_up:
            message = with_alert_metadata(message, alert_id)
            since = self._wall_clock() if posted_since is None else posted_since

            def look(timeout: float) -> AttemptResult:
                window = Window.around(since, self._wall_clock())
                return transport.find(alert_id, channel, window, timeout)

        self._wait_for_slot(channel, deadline, max_wait)
        return self._attempts(
            lambda timeout: transport.send(message, channel, timeout),
            deadline,
            look=look,
            look_first=posted_since is not None,
        )

    def update(
        self,
        message: Mapping[str, Any],
        *,
        channel: str,
        ts: str,
        deadline: float,
    ) -> Delivered:
        """Edit a posted message in place (Web API only). chat.update is not a new
        message: Slack limits it per method (Tier 3, about 50 a minute), not by the one
        message a second per channel, so it does not take a send slot."""
        transport = self._transport
        return self._attempts(
            lambda timeout: transport.update(message, channel, ts, timeout), deadline
        )

    def _wait_for_slot(self, channel: str | None, deadline: float, max_wait: float | None) -> None:
        if self._slots is None:
            return
        usable = deadline - self._monotonic() - self._policy.reserve - 0.1
        if usable <= 0:  # do not take a slot that nobody will use
            raise DeliveryFailed("no time left before the deadline", attempts=0, permanent=False)
        if max_wait is not None:
            usable = min(usable, max_wait)
        now = self._wall_clock()
        slot = self._slots.reserve(self._transport.destination(channel), latest=now + usable)
        if slot is None:
            raise DeliveryFailed(
                f"no send slot free within {max(usable, 0):.1f}s", attempts=0, permanent=False
            )
        wait = slot - self._wall_clock()
        if wait > usable:  # the slot was handed out, but too late to use: give up on it
            raise DeliveryFailed(
                f"next send slot in {wait:.1f}s, past the deadline", attempts=0, permanent=False
            )
        if wait > 0:
            self._sleep(wait)

    def _attempts(
        self,
        send: Callable[[float], AttemptResult],
        deadline: float,
        *,
        look: Callable[[float], AttemptResult] | None = None,
        look_first: bool = False,
    ) -> Delivered:
        """`look`: find the message posted by an earlier attempt, before the first
        attempt when `look_first`, and after any attempt Slack may have taken."""
        policy = self._policy
        last = AttemptResult(AttemptKind.RETRYABLE, "no attempt made: no time left")
        attempts = 0
        must_look = look is not None and look_first
        while attempts < policy.max_attempts:
            remaining = deadline - self._monotonic() - policy.reserve
            if remaining <= 0.1:
                break
            attempts += 1
            timeout = min(policy.attempt_timeout, remaining)
            if look is not None and must_look:
                found = look(timeout)
                if found.kind is AttemptKind.OK and found.reference:
                    log.warning("slack has the message already (ts %s)", found.reference)
                    return Delivered(attempts, found.reference, found.channel)
                if found.kind is AttemptKind.PERMANENT:
                    # The channel cannot be read (a missing `channels:history` scope, a
                    # channel name where an ID is needed): losing the alert is worse.
                    log.error("slack look-up refused (%s): posting again", found.reason)
                    must_look = False
                elif found.kind is AttemptKind.RETRYABLE:
                    last = AttemptResult(
                        AttemptKind.RETRYABLE,
                        f"look-up for an earlier post: {found.reason}",
                        found.retry_after,
                    )
                else:
                    must_look = False  # not there: post
                if must_look:  # the look-up failed: wait, and look again
                    stop = self._pause(attempts, last, deadline)
                    if stop is not None:
                        last = stop
                        break
                    continue
                remaining = deadline - self._monotonic() - policy.reserve
                if remaining <= 0.1:
                    break
                timeout = min(policy.attempt_timeout, remaining)
            last = send(timeout)
            if last.kind is AttemptKind.OK:
                return Delivered(attempts, last.reference, last.channel)
            if last.kind is AttemptKind.PERMANENT:
                log.error("slack refused the message: %s", last.reason)
                raise DeliveryFailed(last.reason, attempts=attempts, permanent=True)
            must_look = look is not None and (must_look or last.maybe_posted)
            stop = self._pause(attempts, last, deadline)
            if stop is not None:
                last = stop
                break
        raise DeliveryFailed(last.reason, attempts=attempts, permanent=False)

    def _pause(self, attempts: int, last: AttemptResult, deadline: float) -> AttemptResult | None:
        """Wait before the next attempt: None, or the failure to raise when there is
        no next attempt (none left, or it would start past the deadline)."""
        policy = self._policy
        wait = policy.backoff(attempts, self._rng)
        if last.retry_after is not None:
            wait = max(wait, last.retry_after)
        if attempts >= policy.max_attempts:
            return last
        if self._monotonic() + wait > deadline - policy.reserve:
            return AttemptResult(
                AttemptKind.RETRYABLE, f"{last.reason}; next try ({wait:.1f}s) past the deadline"
            )
        self._sleep(wait)
        return None
