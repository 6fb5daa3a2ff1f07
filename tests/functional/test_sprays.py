"""GIVEN a password spray from one IP, mostly names that are no user of the account
(CloudTrail hides them: `HIDDEN_DUE_TO_SECURITY_REASONS`) and a few real users, one of
them a break-glass user, WHEN it goes through the real handler THEN it is called a
spray: each hidden name counts as a distinct guess, the burst names the real users
tried, its title says a watched principal was reached, and the break-glass user's own
failure alerts at once, CRITICAL."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

from chalicelib.container import Container
from chalicelib.settings import Settings
from chalicelib.store.day_tally import DayTally
from localdev.events import console_login, hidden_name_failure
from localdev.fast_forward import FastForward
from localdev.slack_sink import SlackSink
from tests.conftest import NOW, TABLE
from tests.functional.conftest import Invoker

IP = "198.51.100.9"
# A failure under a name AWS hid (no user of the account), from the spraying IP.
hidden = partial(hidden_name_failure, ip=IP)


def test_a_spray_of_hidden_and_real_names_is_a_spray_that_names_who_it_reached(
    invoke: Invoker, configure: Callable[..., Container], slack_sink: SlackSink
) -> None:
    configure(CRITICAL_PRINCIPALS="arn:aws:iam::*:user/breakglass")
    start = NOW - timedelta(minutes=20)
    order = ["", "", "breakglass", "", "", "", "", "", "", "alice", "bob", "breakglass"]
    events = []
    for n, user in enumerate(order):
        when = start + timedelta(seconds=30 * n)
        event = console_login(f"s-{n}", when, user=user, ip=IP) if user else hidden(f"h-{n}", when)
        event["detail"]["userIdentity"].pop("arn", None)  # as a failure's record has none
        events.append(event)

    outcomes = [invoke(event)["outcome"] for event in events]

    texts = [message["text"] for message in slack_sink.messages]
    # Loud when it matters: alone (under the cap) and inside the spray alike.
    critical = [text for text in texts if text.startswith("CRITICAL: Console sign-in failed")]
    assert len(critical) == 2 and all("IAM user breakglass" in text for text in critical)
    [spray] = [text for text in texts if "password spraying" in text]
    assert spray.startswith(
        f"HIGH: possible password spraying from {IP}: 10 user names, 10 failed sign-ins in "
        "4 minutes, tried watched principal breakglass"
    )
    body = json.dumps(slack_sink.messages[texts.index(spray)], ensure_ascii=False)
    assert "*Real users tried*\\n`alice`, `breakglass`" in body
    # Held back from the fifth (the fourth was the third for "unknown user").
    assert outcomes == ["posted"] * 4 + ["not_alerted"] * 5 + ["posted", "not_alerted", "posted"]


def test_hidden_names_alone_are_distinct_guesses(
    invoke: Invoker, configure: Callable[..., Container], slack_sink: SlackSink
) -> None:
    start = NOW - timedelta(minutes=20)
    for n in range(10):
        invoke(hidden(f"g-{n}", start + timedelta(seconds=20 * n)))

    spray = slack_sink.messages[-1]
    assert spray["text"].startswith(f"HIGH: possible password spraying from {IP}: 10 user names")
    assert "none: every name tried is not a user of this account" in json.dumps(spray)


def test_every_signin_of_a_critical_principal_is_critical_even_ignored(
    invoke: Invoker, configure: Callable[..., Container], slack_sink: SlackSink
) -> None:
    configure(
        CRITICAL_PRINCIPALS="arn:aws:iam::*:user/breakglass*",
        IGNORE_PRINCIPALS="arn:aws:iam::*:user/*",
        ALERT_MIN_SEVERITY="HIGH",
    )
    when = NOW - timedelta(minutes=5)
    ok = console_login("c-1", when, user="breakglass", success=True, mfa=True)
    other = console_login("c-2", when, user="alice", success=True, mfa=True)

    assert invoke(ok)["outcome"] == "posted"
    assert invoke(other)["outcome"] == "not_alerted"

    [alert] = slack_sink.messages
    assert alert["text"].startswith("CRITICAL: Console sign-in succeeded: IAM user breakglass")
    assert "critical principal (arn:aws:iam::*:user/breakglass*)" in json.dumps(alert)


def test_a_spray_that_goes_on_with_the_same_names_tells_its_final_failures(
    invoke: Invoker,
    configure: Callable[..., Container],
    slack_sink: SlackSink,
    fast_forward: FastForward,
    dynamodb: Any,
) -> None:
    container = configure()
    start = NOW - timedelta(minutes=20)
    names = [f"user{n}" for n in range(10)] + [f"user{n}" for n in range(5)]
    for n, user in enumerate(names):
        invoke(console_login(f"n-{n}", start + timedelta(seconds=20 * n), user=user, ip=IP))
    before = len(slack_sink.messages)

    fast_forward.advance(Settings.burst_summary_seconds)  # quiet, and the interval passed
    container.burst_summaries(deadline=container.deadline.start_within(60))

    [closing] = [message["text"] for message in slack_sink.messages[before:]]
    told = f"possible password spraying from {IP}: 10 user names, 15 failed sign-ins"
    assert closing.startswith(f"HIGH: {told}")
    assert "(+0 user names, +5 failed sign-ins since the last message)" in closing
    [line] = DayTally(dynamodb, TABLE).read(start.date()).bursts
    assert line.startswith(told)


def test_a_spray_opened_by_a_critical_principals_failure_is_critical(
    invoke: Invoker, configure: Callable[..., Container], slack_sink: SlackSink
) -> None:
    configure(CRITICAL_PRINCIPALS="breakglass")
    start = NOW - timedelta(minutes=20)
    for n in range(9):
        invoke(hidden(f"g-{n}", start + timedelta(seconds=20 * n)))
    last = console_login("g-9", start + timedelta(seconds=180), user="breakglass", ip=IP)

    assert invoke(last)["outcome"] == "posted"

    spray = slack_sink.messages[-1]
    assert spray["text"].startswith(
        f"CRITICAL: possible password spraying from {IP}: 10 user names, 10 failed sign-ins "
        "in 3 minutes, tried watched principal breakglass"
    )
    assert spray["blocks"][0]["text"]["text"].endswith("CRITICAL: possible password spraying")


def test_at_the_defaults_a_spray_of_hidden_and_real_names_says_it_reached_a_watched_user(
    invoke: Invoker, configure: Callable[..., Container], slack_sink: SlackSink
) -> None:
    configure(WATCH_PRINCIPALS="*:user/legacy")  # ALERT_MIN_SEVERITY at its default
    start = NOW - timedelta(minutes=20)
    order = ["", "", "", "alice", "", "", "legacy", "", "", "", "", ""]
    for n, user in enumerate(order):
        when = start + timedelta(seconds=30 * n)
        event = console_login(f"w-{n}", when, user=user, ip=IP) if user else hidden(f"x-{n}", when)
        event["detail"]["userIdentity"].pop("arn", None)
        invoke(event)

    [spray] = [m["text"] for m in slack_sink.messages if "password spraying" in m["text"]]
    assert spray.startswith(f"HIGH: possible password spraying from {IP}: 10 user names")
    assert "tried watched principal legacy" in spray
