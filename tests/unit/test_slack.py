"""GIVEN a Slack that misbehaves WHEN we post THEN retries stay inside the deadline and
permanent errors are named."""

from __future__ import annotations

import random

import pytest

from chalicelib.slack.delivery import (
    DeliveryFailed,
    RetryPolicy,
    SlackNotifier,
    Transport,
    WebApiTransport,
    WebhookTransport,
    classify_http,
)
from localdev.fast_forward import FastForward
from localdev.slack_sink import Reply, SlackSink

MESSAGE = {"text": "HIGH: test", "blocks": []}
FAST = RetryPolicy(max_attempts=4, base_delay=0.05, max_delay=0.1, attempt_timeout=1, reserve=0.2)


def notifier(transport: Transport, clock: FastForward, policy: RetryPolicy = FAST) -> SlackNotifier:
    """A notifier that waits on the sink's clock: a Retry-After is seen, never slept."""
    return SlackNotifier(transport, policy=policy, rng=random.Random(1), clocks=clock.clocks())


def webhook(sink: SlackSink, clock: FastForward, policy: RetryPolicy = FAST) -> SlackNotifier:
    return notifier(WebhookTransport(sink.webhook_url), clock, policy)


def web_api(sink: SlackSink, clock: FastForward, policy: RetryPolicy = FAST) -> SlackNotifier:
    transport = WebApiTransport("xoxb-test", "C0DEFAULT", base_url=sink.api_url)
    return notifier(transport, clock, policy)


def soon(clock: FastForward, seconds: float = 10) -> float:
    return clock.monotonic() + seconds


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (200, "ok", "ok"),
        (429, "rate_limited", "retryable"),
        (500, "", "retryable"),
        (503, "", "retryable"),
        (400, "invalid_payload", "permanent"),
        (403, "action_prohibited", "permanent"),
        (404, "channel_not_found", "permanent"),
        (410, "channel_is_archived", "permanent"),
    ],
)
def test_webhook_answers_are_classified(status: int, body: str, kind: str) -> None:
    assert classify_http(status, body, {}).kind.value == kind


def test_webhook_posts_json(slack_sink: SlackSink, fast_forward: FastForward) -> None:
    delivered = webhook(slack_sink, fast_forward).post(MESSAGE, deadline=soon(fast_forward))
    assert delivered.attempts == 1
    assert slack_sink.messages == [MESSAGE]


def test_retry_after_is_honoured(slack_sink: SlackSink, fast_forward: FastForward) -> None:
    slack_sink.then(Reply(429, "rate_limited", retry_after=0.7))
    webhook(slack_sink, fast_forward).post(MESSAGE, deadline=soon(fast_forward))
    first, second = slack_sink.requests
    assert second.at - first.at > 0.7 - 1e-9  # on one clock: equal but for rounding


def test_gives_up_when_retry_after_is_past_the_deadline(
    slack_sink: SlackSink, fast_forward: FastForward
) -> None:
    slack_sink.then(Reply(429, "rate_limited", retry_after=30))
    started = fast_forward.monotonic()
    with pytest.raises(DeliveryFailed, match="past the deadline") as failure:
        webhook(slack_sink, fast_forward).post(MESSAGE, deadline=soon(fast_forward, 3))
    assert not failure.value.permanent
    assert fast_forward.monotonic() - started < 3  # did not sleep 30 s into a dead Lambda


def test_permanent_error_names_slacks_reason(
    slack_sink: SlackSink, fast_forward: FastForward
) -> None:
    slack_sink.then(Reply(410, "channel_is_archived"))
    with pytest.raises(DeliveryFailed, match="channel_is_archived") as failure:
        webhook(slack_sink, fast_forward).post(MESSAGE, deadline=soon(fast_forward))
    assert failure.value.permanent and failure.value.attempts == 1


def test_connection_refused_is_retried_then_raised(fast_forward: FastForward) -> None:
    with SlackSink() as sink:
        url = sink.webhook_url
    with pytest.raises(DeliveryFailed, match="network") as failure:
        notifier(WebhookTransport(url), fast_forward).post(MESSAGE, deadline=soon(fast_forward))
    assert failure.value.attempts == FAST.max_attempts


def test_web_api_posts_to_the_channel_and_returns_ts(
    slack_sink: SlackSink, fast_forward: FastForward
) -> None:
    delivered = web_api(slack_sink, fast_forward).post(
        MESSAGE, deadline=soon(fast_forward), channel="C0SEC"
    )
    [request] = slack_sink.requests
    assert request.path == "/api/chat.postMessage"
    assert request.headers["authorization"] == "Bearer xoxb-test"
    assert request.json["channel"] == "C0SEC"
    assert delivered.reference


def test_web_api_ratelimited_then_ok(slack_sink: SlackSink, fast_forward: FastForward) -> None:
    slack_sink.then(Reply(429, "ratelimited", retry_after=0.3))
    assert (
        web_api(slack_sink, fast_forward).post(MESSAGE, deadline=soon(fast_forward)).attempts == 2
    )


def test_web_api_permanent_error(slack_sink: SlackSink, fast_forward: FastForward) -> None:
    slack_sink.then(Reply(api_error="channel_not_found"))
    with pytest.raises(DeliveryFailed, match="channel_not_found") as failure:
        web_api(slack_sink, fast_forward).post(MESSAGE, deadline=soon(fast_forward))
    assert failure.value.permanent
