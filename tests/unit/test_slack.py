"""GIVEN a Slack that misbehaves WHEN we post THEN retries stay inside the deadline and
permanent errors are named."""

from __future__ import annotations

import random

import pytest

from chalicelib.slack.delivery import DeliveryFailed, RetryPolicy, SlackNotifier
from chalicelib.slack.posted import Window, is_alert, with_alert_metadata
from chalicelib.slack.transports import (
    Transport,
    WebApiTransport,
    WebhookTransport,
    classify_http,
)
from localdev.fast_forward import FastForward
from localdev.slack_sink import Received, Reply, SlackSink

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


# --- a post Slack may have taken (chalicelib/slack/posted.py) ---------------------------
ALERT_ID = "f77f9547-3233-4e1d-b247-e404b3924315"


def chat_posts(sink: SlackSink) -> list[Received]:
    return [r for r in sink.delivered if r.path.endswith("/chat.postMessage")]


def test_a_dropped_web_api_post_is_found_not_posted_again(
    slack_sink: SlackSink, fast_forward: FastForward
) -> None:
    slack_sink.then(Reply(drop=True))

    delivered = web_api(slack_sink, fast_forward).post(
        MESSAGE, deadline=soon(fast_forward), channel="C0SEC", alert_id=ALERT_ID
    )

    [post] = chat_posts(slack_sink)
    assert delivered.reference == post.ts
    assert delivered.attempts == 2  # the post, then the look-up that found it
    [look] = slack_sink.history_reads
    assert look.json["channel"] == "C0SEC"


def test_a_timed_out_web_api_post_is_found_not_posted_again(
    slack_sink: SlackSink, fast_forward: FastForward
) -> None:
    """Slack answered too late: it has the message."""
    slack_sink.then(Reply(hang_seconds=0.6))
    policy = RetryPolicy(max_attempts=4, base_delay=0.05, attempt_timeout=0.3, reserve=0.2)

    web_api(slack_sink, fast_forward, policy).post(
        MESSAGE, deadline=soon(fast_forward), alert_id=ALERT_ID
    )

    assert len(chat_posts(slack_sink)) == 1


def test_a_web_api_post_without_an_alert_id_is_not_looked_up(
    slack_sink: SlackSink, fast_forward: FastForward
) -> None:
    """Burst summaries, the digest: nothing to find them by; retried as before."""
    slack_sink.then(Reply(drop=True))

    web_api(slack_sink, fast_forward).post(MESSAGE, deadline=soon(fast_forward))

    assert len(chat_posts(slack_sink)) == 2
    assert slack_sink.history_reads == []
    assert "metadata" not in chat_posts(slack_sink)[0].json


def test_a_refused_connection_posted_nothing_and_is_not_looked_up(
    fast_forward: FastForward,
) -> None:
    with SlackSink() as sink:
        api_url = sink.api_url
    refused = notifier(WebApiTransport("xoxb-test", "C0DEFAULT", base_url=api_url), fast_forward)
    with pytest.raises(DeliveryFailed) as failure:
        refused.post(MESSAGE, deadline=soon(fast_forward), alert_id=ALERT_ID)
    assert failure.value.reason == "network: URLError"  # every try a post, none a look-up
    assert failure.value.attempts == FAST.max_attempts


def test_a_look_up_that_fails_is_tried_again_before_any_second_post(
    slack_sink: SlackSink, fast_forward: FastForward
) -> None:
    slack_sink.then(Reply(drop=True))
    slack_sink.history_error = "internal_error"

    with pytest.raises(DeliveryFailed, match="look-up"):
        web_api(slack_sink, fast_forward).post(
            MESSAGE, deadline=soon(fast_forward), alert_id=ALERT_ID
        )

    assert len(chat_posts(slack_sink)) == 1
    assert len(slack_sink.history_reads) == FAST.max_attempts - 1


def test_a_dropped_webhook_post_is_posted_again(
    slack_sink: SlackSink, fast_forward: FastForward
) -> None:
    slack_sink.then(Reply(drop=True))

    webhook(slack_sink, fast_forward).post(MESSAGE, deadline=soon(fast_forward), alert_id=ALERT_ID)

    assert len(slack_sink.messages) == 2  # a webhook cannot look: the README's window
    assert "metadata" not in slack_sink.messages[0]


def test_alert_metadata_is_added_once_and_matched_exactly() -> None:
    tagged = with_alert_metadata(MESSAGE, ALERT_ID)
    assert is_alert(tagged, ALERT_ID)
    assert not is_alert(tagged, ALERT_ID + "x")
    assert not is_alert({"metadata": {"event_type": "other", "event_payload": {}}}, ALERT_ID)
    assert with_alert_metadata(tagged, "another")["metadata"] == tagged["metadata"]
    assert "metadata" not in MESSAGE


def test_the_window_is_narrow_around_the_first_attempt() -> None:
    window = Window.around(1_000.0, 1_010.0)
    assert window.params == {"oldest": "970.000000", "latest": "1040.000000"}
