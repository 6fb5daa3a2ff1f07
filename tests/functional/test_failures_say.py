"""GIVEN an IAM user whose password fails once and then signs in WHEN both records go
through the real handlers THEN the failure says MFA was not reached (the password
failed), not "MFA no", in the alert and in `/recent-logins`; and the digest counts the
person once, though the failure's record has no ARN."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from chalicelib.container import Container
from localdev.events import console_login
from localdev.slack_sink import SlackSink
from tests.conftest import NOW
from tests.functional.conftest import Invoker, Slash
from tests.functional.test_places_and_digest import run_digest

NOT_REACHED = "not reached (the password failed)"


def failed_password(event_id: str, when: Any, user: str = "alice") -> dict[str, Any]:
    """A failed ConsoleLogin as CloudTrail writes it: no ARN, `MFAUsed: No`."""
    event = console_login(event_id, when, user=user, ip="198.51.100.7")
    del event["detail"]["userIdentity"]["arn"]
    return event


def test_a_failed_password_says_mfa_was_not_reached(
    invoke: Invoker, slack_sink: SlackSink, slash: Slash
) -> None:
    invoke(failed_password("p-1", NOW - timedelta(minutes=3)))

    [alert] = slack_sink.messages
    assert ", MFA unknown (not reached: the password failed), IP 198.51.100.7" in alert["text"]
    assert f"*MFA*\\n{NOT_REACHED}" in json.dumps(alert["attachments"])
    assert "MFA no" not in alert["text"]
    [line] = [line for line in slash("failed").text.split("\\n") if "198.51.100.7" in line]
    assert f"MFA {NOT_REACHED}" in line


def test_a_failure_and_a_success_of_one_iam_user_are_one_person_in_the_digest(
    invoke: Invoker, configure: Callable[..., Container], slack_sink: SlackSink
) -> None:
    yesterday = NOW.replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(days=1)
    configure(DIGEST_ENABLED="true", DIGEST_HOUR_UTC=str(NOW.hour))
    invoke(failed_password("j-1", yesterday))
    invoke(
        console_login("j-2", yesterday + timedelta(minutes=1), user="alice", success=True, mfa=True)
    )
    before = len(slack_sink.messages)

    assert run_digest()["digest"].startswith("posted for")

    [digest] = slack_sink.messages[before:]
    body = json.dumps(digest["blocks"], ensure_ascii=False)
    assert "IAM user alice (123456789012): 2 sign-ins, 1 failed" in body
    assert body.count("IAM user alice") == 1
