"""Slack's two ways in, one attempt at a time: an incoming webhook (`webhook_post`), or
the Web API (chat.postMessage, chat.update, and conversations.history to find an
earlier post).
Each attempt's answer is classified (ok, worth another try, permanent; and whether
Slack may have taken the message without saying so); `delivery.SlackNotifier` decides
when to try again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from chalicelib.slack.posted import MAX_PAGES, PAGE_SIZE, Window, is_alert
from chalicelib.slack.webhook_post import WebhookPoster

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
        self._url = url
        self._poster = WebhookPoster(url, log=_sdk_log)

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
        try:
            response = self._poster.post(message, timeout)
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
