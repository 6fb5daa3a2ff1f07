"""GIVEN the local Slack sink WHEN a message goes to the webhook through our own POST
(`chalicelib.slack.webhook_post`, written out so a sign-in's cold start skips slack_sdk)
and through slack_sdk's `WebhookClient` THEN Slack sees the same request and we read the
same answer, whatever Slack says; and the same proxy is chosen from the environment."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from slack_sdk.proxy_env_variable_loader import load_http_proxy_from_env
from slack_sdk.webhook import WebhookClient

from chalicelib.slack.webhook_post import (
    PROXY_VARIABLES,
    WebhookPoster,
    WebhookUrlRefused,
    proxy_from_env,
)
from localdev.slack_sink import Received, Reply, SlackSink

LOG = logging.getLogger("test_webhook_post")
MESSAGES: list[dict[str, Any]] = [
    {
        "text": "HIGH: root signed in",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*é* ✓"}}],
    },
    {"text": "unset fields are left out", "blocks": None, "unfurl_links": False},
    {
        "text": 'quotes " and \\ and \n new lines',
        "metadata": {"event_type": "x", "event_payload": {}},
    },
]
REPLIES = [
    Reply(),
    Reply(429, "rate_limited", retry_after=2),
    Reply(500, ""),
    Reply(400, "invalid_payload"),
    Reply(410, "channel_is_archived"),
]


def _request(sink: SlackSink) -> Received:
    return sink.requests[-1]


@pytest.mark.parametrize("message", MESSAGES)
@pytest.mark.parametrize("reply", REPLIES, ids=lambda reply: str(reply.status))
def test_slack_sees_the_same_request_and_we_read_the_same_answer(
    message: dict[str, Any], reply: Reply
) -> None:
    with SlackSink() as sink:
        sink.then(reply)
        ours = WebhookPoster(sink.webhook_url, log=LOG, env={}).post(message, timeout=5)
        sent = _request(sink)
        sink.then(reply)
        theirs = WebhookClient(sink.webhook_url, retry_handlers=[], logger=LOG)
        theirs.timeout = 5
        answer = theirs.send_dict(dict(message))
        expected = _request(sink)
    assert (sent.path, sent.body) == (expected.path, expected.body)
    assert sent.headers["content-type"] == expected.headers["content-type"]
    assert (ours.status_code, ours.body) == (answer.status_code, answer.body)
    retry_after = {k.lower(): v for k, v in answer.headers.items()}.get("retry-after")
    assert {k.lower(): v for k, v in ours.headers.items()}.get("retry-after") == retry_after


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"HTTPS_PROXY": "http://a:1"},
        {"http_proxy": "http://d:4", "HTTP_PROXY": "http://c:3"},
        {"HTTPS_PROXY": "", "https_proxy": "http://b:2"},
        {"HTTPS_PROXY": "   "},
        {name: f"http://{name}:9" for name in PROXY_VARIABLES},
    ],
)
def test_the_proxy_is_the_one_slack_sdk_would_use(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert proxy_from_env(env) == load_http_proxy_from_env(LOG)


def test_only_an_http_url_is_posted_to() -> None:
    with pytest.raises(WebhookUrlRefused):
        WebhookPoster("file:///etc/passwd", log=LOG, env={}).post({"text": "x"}, timeout=1)


def test_no_answer_is_logged_and_raised_as_slack_sdk_did(caplog: pytest.LogCaptureFixture) -> None:
    with SlackSink() as sink:
        url = sink.webhook_url  # closed when the block ends: nothing listens
    with caplog.at_level(logging.ERROR, logger=LOG.name), pytest.raises(OSError):
        WebhookPoster(url, log=LOG, env={}).post({"text": "x"}, timeout=1)
    assert [r.getMessage().startswith("Failed to send a request") for r in caplog.records] == [True]
