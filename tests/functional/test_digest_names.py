"""GIVEN a day with a root sign-in, a watched and a critical principal, a person who
failed once then signed in, and guesses under names AWS hid WHEN the digest posts
(through the real handler and schedule, on the simulated clock) THEN it names root, the
watched and the critical sign-ins with the time of each in DISPLAY_TIMEZONE, counts the
person once, never leads its busiest list with "unknown user", and says "1 new country",
"1 burst"."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from functools import partial

from chalicelib.container import Container
from localdev.events import console_login, hidden_name_failure
from localdev.fast_forward import FastForward
from localdev.slack_sink import SlackSink
from tests.conftest import NOW
from tests.functional.conftest import Invoker

DAY_START = NOW.replace(hour=1, minute=0, second=0)  # 10:00 in Seoul
SPRAY_IP = "198.51.100.9"
# A failure under a name AWS hid (no user of the account), from the spraying IP.
hidden = partial(hidden_name_failure, ip=SPRAY_IP)


def test_the_digest_names_who_matters_and_counts_each_person_once(
    invoke: Invoker,
    configure: Callable[..., Container],
    slack_sink: SlackSink,
    fast_forward: FastForward,
) -> None:
    env = {
        "DIGEST_ENABLED": "true",
        "DISPLAY_TIMEZONE": "Asia/Seoul",
        "WATCH_PRINCIPALS": "*:user/legacy",
        "CRITICAL_PRINCIPALS": "*:user/breakglass",
    }
    configure(**env)
    at = DAY_START
    events = [
        console_login("root-1", at, user="root", ip="8.8.8.8", success=True, mfa=True),
        console_login("bg-1", at + timedelta(hours=1), user="breakglass", success=True, mfa=True),
        console_login("lg-1", at + timedelta(hours=2), user="legacy", success=True, mfa=True),
        # Failed then succeeded: one person. A failure's record has no ARN.
        console_login("al-1", at + timedelta(hours=3), user="alice", ip="8.8.8.8"),
        console_login(
            "al-2", at + timedelta(hours=3, minutes=1), user="alice", ip="8.8.8.8", success=True
        ),
        # A new country for alice (her first sign-in was from the US).
        console_login("al-3", at + timedelta(hours=5), user="alice", ip="1.201.0.1", success=True),
    ]
    events[3]["detail"]["userIdentity"].pop("arn")
    events += [hidden(f"h-{n}", at + timedelta(hours=6, seconds=20 * n)) for n in range(12)]
    for event in events:
        invoke(event)

    fast_forward.advance(
        (NOW.replace(hour=8, minute=5) + timedelta(days=1)).timestamp() - NOW.timestamp()
    )
    container = configure(**env)
    container.daily_digest(deadline=container.deadline.start_within(60))

    digest = slack_sink.messages[-1]
    text = json.dumps(digest, ensure_ascii=False)
    assert "1 new country" in digest["text"] and "1 burst" in digest["text"]
    assert "countries" not in digest["text"] and "1 bursts" not in digest["text"]
    [named] = [b["text"]["text"] for b in digest["blocks"] if "Root, watched" in str(b)]
    assert named.splitlines()[1:] == [
        "• 10:00 KST root: root user (123456789012), success from 8.8.8.8",
        "• 11:00 KST critical: IAM user breakglass (123456789012), success from 203.0.113.7",
        "• 12:00 KST watched: IAM user legacy (123456789012), success from 203.0.113.7",
    ]
    [busiest] = [b["text"]["text"] for b in digest["blocks"] if "Busiest" in str(b)]
    lines = busiest.splitlines()[1:]
    assert lines[0].startswith("• IAM user alice (123456789012): 3 sign-ins, 1 failed")
    assert "unknown user" not in busiest
    assert lines[-1] == "• names AWS hid (not users of this account): 12 sign-ins"
    assert "spraying" in text
