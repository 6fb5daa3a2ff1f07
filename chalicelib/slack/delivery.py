"""Slack delivery: an incoming webhook or the Web API, with retries inside a deadline.

slack_sdk does the HTTP and the payload; this module decides what may be retried and
how long to wait, like slack_sdk's retry handlers keep "may I retry" apart from "wait".
Its own retry handlers are turned off because they do not know the Lambda's deadline.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from chalicelib.slack.posted import (
    MAX_PAGES,
    PAGE_SIZE,
    Window,
    is_alert,
    with_alert_metadata,
)

log = logging.getLogger(__name__)
# slack_sdk logs the full webhook URL (a secret) at DEBUG: keep its logger above that.
_sdk_log = logging.getLogger("signin_alerts.slack_sdk")
_sdk_log.setLevel(logging.WARNING)

# Errors that a later attempt can get past. Anything else Slack names is permanent.
RETRYABLE_API_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


class AttemptKind(Enum):
    OK = "ok"
    RETRYABLE = "retryable"
    PERMANENT = "permanent"


@dataclass(frozen=True)
class AttemptResult:
    kind: AttemptKind
    reason: str = ""
    retry_after: float | None = None
    reference: str = ""  # the message ts for the Web API; empty for a webhook
    channel: str = ""  # the channel ID the Web API posted to (chat.update needs it)
    # Slack may have taken the message although we got no answer saying so: the
    # connection dropped after the request was sent, a timeout while waiting, a 5xx.
    maybe_posted: bool = False


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


class Transport(Protocol):
    # Whether `update` can edit a posted message in place (the Web API can, a webhook
    # cannot).
    can_update: bool
    # Whether `find` can read the channel for an earlier post (the Web API can).
    can_look_up: bool

    def send(
        self, message: Mapping[str, Any], channel: str | None, timeout: float
    ) -> AttemptResult: ...

    def update(
        self, message: Mapping[str, Any], channel: str, ts: str, timeout: float
    ) -> AttemptResult: ...

    def find(
        self, alert_id: str, channel: str | None, window: Window, timeout: float
    ) -> AttemptResult:
        """Look for the alert's earlier post: OK with its ts as `reference` when found,
        OK with no reference when not; RETRYABLE or PERMANENT when Slack did not say."""
        ...

    def destination(self, channel: str | None) -> str:
        """Where a message goes, for the per-channel send slots."""
        ...


def _retry_after(headers: Mapping[str, Any] | None) -> float | None:
    for name, value in (headers or {}).items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) and value else value
            try:
                return max(0.0, float(raw))
            except (TypeError, ValueError):
                return None
    return None


def _network_failure(error: Exception) -> AttemptResult:
    """urllib wraps what fails before the request is sent (no connection, refused, a
    connect timeout) in URLError; anything else (the connection dropped while waiting
    for the answer, a read timeout) came after Slack may have read the request."""
    from urllib.error import URLError

    sent = not isinstance(error, URLError)
    return AttemptResult(
        AttemptKind.RETRYABLE, f"network: {type(error).__name__}", maybe_posted=sent
    )


def classify_http(status: int, body: str, headers: Mapping[str, Any] | None) -> AttemptResult:
    """A webhook answer: 200 `ok`, or a status with a plain-text reason."""
    reason = (body or "").strip()[:200] or f"HTTP {status}"
    if 200 <= status < 300:
        return AttemptResult(AttemptKind.OK)
    if status == 429:
        return AttemptResult(
            AttemptKind.RETRYABLE, f"rate limited ({reason})", _retry_after(headers)
        )
    if status >= 500 or status in (408,):
        return AttemptResult(
            AttemptKind.RETRYABLE, f"HTTP {status} {reason}", maybe_posted=status >= 500
        )
    return AttemptResult(AttemptKind.PERMANENT, f"HTTP {status} {reason}")


class WebhookTransport:
    can_update = False
    can_look_up = False  # a webhook cannot read its channel

    def __init__(self, url: str) -> None:
        from slack_sdk.webhook import WebhookClient

        self._url = url
        self._client = WebhookClient(url, retry_handlers=[], logger=_sdk_log)

    def destination(self, channel: str | None) -> str:
        return self._url  # a webhook posts to its own channel whatever we ask

    def update(
        self, message: Mapping[str, Any], channel: str, ts: str, timeout: float
    ) -> AttemptResult:
        return AttemptResult(AttemptKind.PERMANENT, "a webhook cannot update a message")

    def find(
        self, alert_id: str, channel: str | None, window: Window, timeout: float
    ) -> AttemptResult:
        return AttemptResult(AttemptKind.PERMANENT, "a webhook cannot read its channel")

    def send(
        self, message: Mapping[str, Any], channel: str | None, timeout: float
    ) -> AttemptResult:
        self._client.timeout = timeout  # type: ignore[assignment]  # urllib takes floats
        try:
            response = self._client.send_dict(dict(message))
        except Exception as error:  # urllib's URLError, timeouts, resets: all worth a retry
            return _network_failure(error)
        return classify_http(response.status_code, response.body, response.headers)


class WebApiTransport:
    can_update = True
    can_look_up = True

    def __init__(self, token: str, default_channel: str, base_url: str | None = None) -> None:
        from slack_sdk import WebClient

        kwargs: dict[str, Any] = {"token": token, "retry_handlers": [], "logger": _sdk_log}
        if base_url:
            kwargs["base_url"] = base_url
        self._client = WebClient(**kwargs)
        self._default_channel = default_channel

    def send(
        self, message: Mapping[str, Any], channel: str | None, timeout: float
    ) -> AttemptResult:
        self._client.timeout = timeout  # type: ignore[assignment]  # urllib takes floats
        try:
            response = self._client.chat_postMessage(
                channel=channel or self._default_channel, **dict(message)
            )
        except Exception as error:
            return _api_failure(error)
        return AttemptResult(
            AttemptKind.OK,
            reference=str(response.get("ts", "")),
            channel=str(response.get("channel", "")),
        )

    def update(
        self, message: Mapping[str, Any], channel: str, ts: str, timeout: float
    ) -> AttemptResult:
        self._client.timeout = timeout  # type: ignore[assignment]
        try:
            response = self._client.chat_update(channel=channel, ts=ts, **dict(message))
        except Exception as error:
            return _api_failure(error)
        return AttemptResult(AttemptKind.OK, reference=str(response.get("ts", ts)), channel=channel)

    def find(
        self, alert_id: str, channel: str | None, window: Window, timeout: float
    ) -> AttemptResult:
        """conversations.history of the window, newest first, a few pages at most."""
        self._client.timeout = timeout  # type: ignore[assignment]
        where = channel or self._default_channel
        cursor = ""
        for _ in range(MAX_PAGES):
            try:
                response = self._client.conversations_history(
                    channel=where,
                    inclusive=True,
                    include_all_metadata=True,
                    limit=PAGE_SIZE,
                    **window.params,
                    **({"cursor": cursor} if cursor else {}),
                )
            except Exception as error:
                return _api_failure(error)
            for message in response.get("messages") or []:
                if isinstance(message, Mapping) and is_alert(message, alert_id):
                    return AttemptResult(
                        AttemptKind.OK, reference=str(message.get("ts", "")), channel=where
                    )
            cursor = str((response.get("response_metadata") or {}).get("next_cursor") or "")
            if not response.get("has_more") or not cursor:
                break
        return AttemptResult(AttemptKind.OK)

    def destination(self, channel: str | None) -> str:
        return f"channel:{channel or self._default_channel}"


def _api_failure(error: Exception) -> AttemptResult:
    from slack_sdk.errors import SlackApiError

    if isinstance(error, SlackApiError):
        error_name = str(error.response.get("error", "")) or f"HTTP {error.response.status_code}"
        if error.response.status_code == 429 or error_name in RETRYABLE_API_ERRORS:
            limited = error.response.status_code == 429 or error_name == "ratelimited"
            return AttemptResult(
                AttemptKind.RETRYABLE,
                error_name,
                _retry_after(error.response.headers),
                maybe_posted=not limited,
            )
        if error.response.status_code >= 500:
            return AttemptResult(AttemptKind.RETRYABLE, error_name, maybe_posted=True)
        return AttemptResult(AttemptKind.PERMANENT, error_name)
    return _network_failure(error)


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
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self._transport = transport
        self._policy = policy or RetryPolicy()
        self._slots = slots
        self._sleep = sleep
        self._monotonic = monotonic
        self._wall_clock = wall_clock
        self._rng = rng or random.Random()

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
