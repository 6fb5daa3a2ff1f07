"""GIVEN routine sign-ins (below ALERT_MIN_SEVERITY, MEDIUM by default) WHEN they go
through the real handler and the every-minute schedule, on the simulated clock, THEN
none is posted alone, each is named in a roll-up within the hour: with a webhook one
message per window that had any, after it closes (across an hour boundary and a restart
in the middle, once even when two sweeps run together and a sign-in is delivered twice);
with the Web API one "routine sign-ins today" message, updated in place. They are also
listed by /recent-logins and counted in the digest."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from chalicelib.container import Container
from chalicelib.store.day_tally import DayTally
from localdev.events import console_login
from localdev.fast_forward import FastForward
from localdev.slack_sink import SlackSink
from tests.conftest import NOW, TABLE
from tests.functional.conftest import Invoker

# NOW is 14:27:13 UTC: the 14:00-15:00 window is open.
KNOWN_IP = "198.51.100.7"


def routine(event_id: str, user: str, arrival: datetime, *, delay: float = 120) -> dict[str, Any]:
    """A sign-in with MFA (INFO) whose record arrives `delay` seconds after it happened."""
    when = arrival - timedelta(seconds=delay)
    return console_login(event_id, when, user=user, ip=KNOWN_IP, success=True, mfa=True)


def sweep(container: Container) -> dict[str, int]:
    return container.minute_sweeps(deadline=container.deadline.start_within(60))


def until(clock: FastForward, moment: datetime) -> None:
    clock.advance(max(0.0, moment.timestamp() - clock.time()))


def rollups(sink: SlackSink) -> list[dict[str, Any]]:
    return [m for m in sink.messages if "Routine sign-ins" in m.get("text", "")]


def body(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False)


def test_webhook_one_rollup_per_window_after_it_closes_across_a_restart(
    invoke: Invoker,
    configure: Callable[..., Container],
    slack_sink: SlackSink,
    fast_forward: FastForward,
    dynamodb: Any,
) -> None:
    container = configure(DISPLAY_TIMEZONE="Asia/Seoul")
    hour = NOW.replace(minute=0, second=0)
    first = [("r-1", "alice"), ("r-2", "bob"), ("r-3", "carol")]
    for event_id, user in first:
        assert invoke(routine(event_id, user, fast_forward.now()))["outcome"] == "not_alerted"
        fast_forward.advance(minutes=10)
    assert invoke(routine("r-1", "alice", fast_forward.now()))["outcome"] == "duplicate"
    until(fast_forward, hour + timedelta(minutes=59, seconds=50))
    late = routine("r-4", "dave", fast_forward.now())
    assert invoke(late)["outcome"] == "not_alerted"  # arrives in the window's last seconds
    sweep(container)
    assert slack_sink.messages == []  # the window is still open

    until(fast_forward, hour + timedelta(hours=1, seconds=30))
    sweep(container)
    [told] = rollups(slack_sink)
    assert told["text"] == (
        "INFO: Routine sign-ins 2026-11-25 23:00–00:00 KST: 4 sign-ins, 0 failed"
    )
    text = body(told)
    for user in ("alice", "bob", "carol", "dave"):
        assert text.count(f"IAM user {user}") == 1
    assert f"{KNOWN_IP}" in text and "success, MFA yes" in text
    assert "• 23:25 IAM user alice" in text  # its event time, in DISPLAY_TIMEZONE

    # Next window: a sign-in, then a restart (a new container), then it closes.
    fast_forward.advance(minutes=10)
    invoke(routine("r-5", "erin", fast_forward.now()))
    fast_forward.advance(minutes=20)
    container = configure(DISPLAY_TIMEZONE="Asia/Seoul")
    sweep(container)
    assert len(rollups(slack_sink)) == 1
    until(fast_forward, hour + timedelta(hours=2, seconds=20))
    sweep(container)
    sweep(container)  # told once: a second sweep adds nothing
    assert [m["text"] for m in rollups(slack_sink)][1:] == [
        "INFO: Routine sign-ins 2026-11-26 00:00–01:00 KST: 1 sign-in, 0 failed"
    ]
    assert "IAM user erin" in body(rollups(slack_sink)[1])

    # Listed and counted as any sign-in.
    totals = DayTally(dynamodb, TABLE).read(NOW.date()).totals
    assert totals["signins"] == 5 and totals["success"] == 5


def test_two_sweeps_at_once_post_one_rollup(
    invoke: Invoker,
    configure: Callable[..., Container],
    slack_sink: SlackSink,
    fast_forward: FastForward,
) -> None:
    configure()
    invoke(routine("c-1", "alice", fast_forward.now()))
    invoke(routine("c-2", "bob", fast_forward.now()))
    until(fast_forward, NOW.replace(minute=0, second=0) + timedelta(hours=1, seconds=15))
    first, second = configure(), configure()  # two Lambda instances

    def sweep_first() -> None:
        sweep(first)

    def sweep_second() -> None:
        sweep(second)

    fast_forward.run_in_threads(sweep_first, sweep_second)

    [told] = rollups(slack_sink)
    assert told["text"].endswith(": 2 sign-ins, 0 failed")


def test_alert_min_severity_info_keeps_one_message_per_signin(
    invoke: Invoker,
    configure: Callable[..., Container],
    slack_sink: SlackSink,
    fast_forward: FastForward,
) -> None:
    container = configure(ALERT_MIN_SEVERITY="INFO")
    for n in range(3):
        assert invoke(routine(f"i-{n}", "alice", fast_forward.now()))["outcome"] == "posted"
    fast_forward.advance(hours=1)
    sweep(container)
    assert [m["text"].split(":")[0] for m in slack_sink.messages] == ["INFO"] * 3
    assert rollups(slack_sink) == []


def test_what_alerts_is_posted_at_once_and_left_out_of_the_rollup(
    invoke: Invoker,
    configure: Callable[..., Container],
    slack_sink: SlackSink,
    fast_forward: FastForward,
) -> None:
    container = configure()
    invoke(routine("m-1", "alice", fast_forward.now()))
    no_mfa = console_login("m-2", NOW - timedelta(minutes=1), user="legacy", success=True)
    assert invoke(no_mfa)["outcome"] == "posted"
    fast_forward.advance(hours=1)
    sweep(container)
    [alert, told] = slack_sink.messages
    assert alert["text"].startswith("HIGH:") and "legacy" not in body(told)
    assert told["text"].endswith(": 1 sign-in, 0 failed")


@pytest.fixture
def web_api(configure: Callable[..., Container], slack_sink: SlackSink) -> Container:
    return configure(
        SLACK_WEBHOOK_URL="",
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_CHANNEL="C0SECOPS",
        SLACK_API_URL=slack_sink.api_url,
    )


def calls(sink: SlackSink, method: str) -> list[Any]:
    return [r for r in sink.delivered if r.path.endswith(f"/{method}")]


def test_web_api_one_message_a_day_updated_as_signins_arrive(
    web_api: Container,
    invoke: Invoker,
    configure: Callable[..., Container],
    slack_sink: SlackSink,
    fast_forward: FastForward,
) -> None:
    invoke(routine("w-1", "alice", fast_forward.now()))
    [post] = calls(slack_sink, "chat.postMessage")
    today = "INFO: Routine sign-ins today (2026-11-25, UTC)"
    assert post.json["text"] == f"{today}: 1 sign-in, 0 failed"
    fast_forward.advance(minutes=5)
    invoke(routine("w-2", "bob", fast_forward.now()))
    fast_forward.advance(minutes=50)  # across the hour: the same day's message
    # A restart in the middle: the day's message is found in the ledger.
    configure(
        SLACK_WEBHOOK_URL="",
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_CHANNEL="C0SECOPS",
        SLACK_API_URL=slack_sink.api_url,
    )
    invoke(routine("w-3", "carol", fast_forward.now()))
    invoke(routine("w-3", "carol", fast_forward.now()))  # delivered twice

    assert len(calls(slack_sink, "chat.postMessage")) == 1
    updates = calls(slack_sink, "chat.update")
    assert [u.json["ts"] for u in updates] == [post.ts, post.ts]
    last = updates[-1].json
    assert last["text"].endswith(": 3 sign-ins, 0 failed")
    assert all(body(last).count(f"IAM user {user}") == 1 for user in ("alice", "bob", "carol"))


def test_a_typo_from_a_known_place_is_routine_and_elsewhere_it_alerts(
    invoke: Invoker,
    configure: Callable[..., Container],
    slack_sink: SlackSink,
    fast_forward: FastForward,
) -> None:
    container = configure()
    home = "8.8.8.8"  # a public address: places are remembered for those
    when = fast_forward.now() - timedelta(minutes=2)
    invoke(console_login("t-1", when, user="alice", ip=home, success=True, mfa=True))
    when += timedelta(minutes=1)
    typo = console_login("t-2", when, user="alice", ip=home)
    elsewhere = console_login("t-3", when, user="alice", ip="81.2.69.160")
    for event in (typo, elsewhere):
        event["detail"]["userIdentity"].pop("arn")  # as a failure's record has none

    assert invoke(typo)["outcome"] == "not_alerted"
    assert invoke(elsewhere)["outcome"] == "posted"
    fast_forward.advance(hours=1)
    sweep(container)

    [alert, told] = slack_sink.messages
    assert alert["text"].startswith("MEDIUM: Console sign-in failed: IAM user alice")
    assert told["text"].endswith(": 2 sign-ins, 1 failed")
    assert f"IAM user alice · 123456789012 · {home} (US) · failure" in body(told)
