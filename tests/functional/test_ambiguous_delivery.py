"""GIVEN Slack takes an alert and then closes the connection without answering WHEN
the handler posts it THEN with the Web API the channel shows it once (the alert is
found by its eventID in the message metadata before any second post), and with a
webhook, which cannot read its channel, at most twice, as docs/delivery.md (the
README's delivery page) says."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chalicelib.container import Container
from chalicelib.slack.posted import ALERT_EVENT_TYPE
from chalicelib.store.schema import event_key
from localdev.slack_sink import Reply, SlackSink
from tests.conftest import TABLE, load_event
from tests.functional.conftest import Invoker

DELIVERY_DOC = Path(__file__).parents[2] / "docs" / "delivery.md"
ROOT = "root_success_no_mfa.json"
EVENT_ID = "f77f9547-3233-4e1d-b247-e404b3924315"


@pytest.fixture
def web_api(configure: Callable[..., Container], slack_sink: SlackSink) -> Container:
    return configure(
        SLACK_WEBHOOK_URL="",
        SLACK_BOT_TOKEN="xoxb-secret-token",
        SLACK_CHANNEL="C0SECOPS",
        SLACK_API_URL=slack_sink.api_url,
    )


def posts(sink: SlackSink) -> list[Any]:
    return [r for r in sink.delivered if r.path.endswith("/chat.postMessage")]


def item(dynamodb: Any) -> dict[str, Any]:
    found: dict[str, Any] = dynamodb.get_item(TableName=TABLE, Key=event_key(EVENT_ID))["Item"]
    return found


def test_web_api_finds_the_dropped_post_and_posts_once(
    web_api: Container, invoke: Invoker, slack_sink: SlackSink, dynamodb: Any
) -> None:
    slack_sink.then(Reply(drop=True))

    result = invoke(load_event(ROOT))

    assert result["outcome"] == "posted"
    [post] = posts(slack_sink)
    assert post.json["metadata"] == {
        "event_type": ALERT_EVENT_TYPE,
        "event_payload": {"event_id": EVENT_ID},
    }
    [look] = slack_sink.history_reads
    assert look.json["include_all_metadata"] in ("1", "true")
    assert float(look.json["oldest"]) <= float(post.ts) <= float(look.json["latest"])
    assert float(look.json["latest"]) - float(look.json["oldest"]) < 120  # a narrow window
    stored = item(dynamodb)
    assert stored["alert_status"]["S"] == "sent"
    assert stored["slack_ref"]["S"] == post.ts  # the found message is the reference


def test_a_takeover_looks_before_posting_what_its_holder_may_have_posted(
    web_api: Container, invoke: Invoker, slack_sink: SlackSink, dynamodb: Any
) -> None:
    """The first invocation's post is taken, but it cannot look (Slack's history errs)
    and gives up; Lambda's retry finds the message and posts nothing."""
    slack_sink.then(Reply(drop=True))
    slack_sink.history_error = "internal_error"

    with pytest.raises(Exception, match="Slack delivery failed"):
        invoke(load_event(ROOT))
    assert len(posts(slack_sink)) == 1
    assert item(dynamodb)["alert_status"]["S"] == "pending"

    slack_sink.history_error = ""
    looks_before = len(slack_sink.history_reads)
    result = invoke(load_event(ROOT))

    assert result["outcome"] == "posted"
    assert len(posts(slack_sink)) == 1
    assert len(slack_sink.history_reads) == looks_before + 1
    assert item(dynamodb)["slack_ref"]["S"] == posts(slack_sink)[0].ts


def test_a_clean_failure_is_looked_up_only_when_slack_may_have_it(
    web_api: Container, invoke: Invoker, slack_sink: SlackSink
) -> None:
    slack_sink.then(Reply(429, "ratelimited", retry_after=1, api_error="ratelimited"))

    assert invoke(load_event(ROOT))["outcome"] == "posted"

    assert len(posts(slack_sink)) == 1
    assert slack_sink.history_reads == []  # a 429 posted nothing: no look-up


def test_a_channel_that_cannot_be_read_is_posted_to_again(
    web_api: Container, invoke: Invoker, slack_sink: SlackSink
) -> None:
    """Without `channels:history` the look-up is refused: losing the alert is worse."""
    slack_sink.then(Reply(drop=True))
    slack_sink.history_error = "missing_scope"

    assert invoke(load_event(ROOT))["outcome"] == "posted"

    assert len(posts(slack_sink)) == 2


def test_a_webhook_retries_a_dropped_post_so_it_may_show_twice(
    invoke: Invoker, slack_sink: SlackSink
) -> None:
    slack_sink.then(Reply(drop=True))

    assert invoke(load_event(ROOT))["outcome"] == "posted"

    # Slack took both: at most two, never none. The delivery page says so.
    assert len(slack_sink.messages) == 2
    assert slack_sink.history_reads == []
    readme = " ".join(DELIVERY_DOC.read_text().split())
    assert "a webhook post whose connection drops after Slack read it" in readme
    assert "may show the alert twice" in readme
