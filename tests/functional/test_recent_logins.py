"""GIVEN a ledger of sign-ins WHEN someone in Slack types /recent-logins THEN they see
what they asked for, only if Slack signed the request and they are allowed to see it."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from chalicelib import logs
from chalicelib.judge.rules import evaluate
from chalicelib.signin.parse import parse_signin
from chalicelib.slack.blocks import MAX_BLOCKS, MAX_SECTION_TEXT
from localdev.signins import Login
from tests.conftest import NOW, load_event
from tests.functional.conftest import SIGNING_SECRET, Slash


def seed(slash: Slash, *logins: Login) -> None:
    """Record sign-ins the way the console_signin handler and the backfill do."""
    container = slash.container
    for login in logins:
        signin = parse_signin(login.record(), received_at=NOW)
        container.ledger.record(signin, evaluate(signin, container.settings))


def ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    logs.emit({"message": "test starts"})  # let the app configure its logger first
    handler = Collect()
    logger = logging.getLogger("signin_alerts")
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)


def sections(reply: dict[str, Any]) -> list[str]:
    texts = []
    for block in reply["blocks"]:
        if block["type"] == "section":
            texts.append(block["text"]["text"])
        elif block["type"] == "context":
            texts.extend(element["text"] for element in block["elements"])
    return texts


def assert_within_slack_limits(reply: dict[str, Any]) -> None:
    assert reply["response_type"] == "ephemeral"
    assert len(reply["blocks"]) <= MAX_BLOCKS
    for block in reply["blocks"]:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= MAX_SECTION_TEXT


# --- verification ----------------------------------------------------------------------
# Every bad signature, timestamp and access setting: tests/unit/test_recent_logins_gate.py.
# Here, a few through the real route and the container's wiring (settings, SSM, clock).


def test_a_signed_request_gets_the_recent_signins(slash: Slash) -> None:
    seed(slash, Login("e-1", ago(minutes=5), name="alice"))

    reply = slash()

    assert reply.status == 200
    assert reply.json["response_type"] == "ephemeral"
    assert "alice" in reply.text
    assert "1 of 1 sign-in in the last 7 days: 0 failed, 0 root, 0 without MFA" in reply.text


def test_a_signature_made_with_another_secret_is_refused(slash: Slash) -> None:
    reply = slash.post_body(slash.form(), secret="not-the-secret")

    assert (reply.status, reply.body) == (401, b"Unauthorized")


def test_a_signing_secret_from_a_missing_ssm_parameter_refuses_not_crashes(
    slash: Slash, log_lines: list[str]
) -> None:
    slash.configure(SLACK_SIGNING_SECRET="", SLACK_SIGNING_SECRET_PARAM="/nowhere/secret")

    reply = slash()

    assert reply.status == 401
    assert "SLACK_SIGNING_SECRET" in log_lines[-1] or "ConfigError" in log_lines[-1]


def test_the_signing_secret_can_come_from_ssm(slash: Slash) -> None:
    import boto3

    boto3.client("ssm", region_name="us-east-1").put_parameter(
        Name="/signin-alerts/test/signing", Value=SIGNING_SECRET, Type="SecureString"
    )
    slash.configure(
        SLACK_SIGNING_SECRET="", SLACK_SIGNING_SECRET_PARAM="/signin-alerts/test/signing"
    )

    assert slash().status == 200


def test_slacks_published_vector_is_checked_against_the_clock(slash: Slash) -> None:
    vector = load_event("slack-signature-vector.json")
    slash.configure(SLACK_SIGNING_SECRET=vector["signing_secret"], SLACK_TEAM_ID="T1DC2JH3J")

    # Years after its timestamp: a replay, refused. (Accepted at its own time: unit test.)
    reply = slash.post_raw(
        vector["body"].encode(),
        {
            "X-Slack-Request-Timestamp": vector["timestamp"],
            "X-Slack-Signature": vector["signature"],
        },
    )

    assert reply.status == 401


# --- authorisation ---------------------------------------------------------------------


def test_someone_not_allowed_gets_an_ephemeral_refusal_without_signin_data(
    slash: Slash,
) -> None:
    seed(slash, Login("e-1", ago(minutes=5), name="mallory-target", source_ip="192.0.2.99"))

    reply = slash("", team_id="T0OTHER")

    assert reply.status == 200
    assert reply.json["response_type"] == "ephemeral"
    assert "not allowed" in reply.text
    assert "mallory-target" not in reply.text and "192.0.2.99" not in reply.text
    assert "sign-ins in the last" not in reply.text


# --- the command -----------------------------------------------------------------------


@pytest.fixture
def mixed(slash: Slash) -> Slash:
    """Nine sign-ins of the last week and one older, of every kind."""
    seed(
        slash,
        Login("e-alice-1", ago(minutes=10), name="alice"),
        Login("e-alice-2", ago(hours=30), name="alice", success=False),
        Login("e-bob-1", ago(minutes=20), name="bob", mfa=False),
        Login("e-bob-2", ago(days=3), name="bob", success=False, account_id="444455556666"),
        Login("e-root-1", ago(hours=2), kind="Root", mfa=False),
        Login("e-root-2", ago(days=5), kind="Root", success=False),
        Login("e-sso-1", ago(hours=5), name="carol", kind="AssumedRole", mfa=False),
        Login("e-dave-1", ago(days=6), name="dave", account_id="444455556666", region="eu-west-1"),
        Login("e-erin-1", ago(minutes=45), name="Erin.Admin", source_ip="2001:db8::1"),
        Login("e-old-1", ago(days=20), name="oldtimer"),
    )
    return slash


def entry_names(reply: dict[str, Any]) -> list[str]:
    """The principals listed, in order: each entry line holds `*principal*`, whose
    last code span is the name (`IAM user `bob``; a role's session); root has none."""
    names = []
    for text in sections(reply)[1:]:
        for line in text.split("\n"):
            if "<!date^" in line and "*" in line:
                principal = line.split("*")[1]
                spans = re.findall(r"`([^`]*)`", principal)
                names.append(spans[-1] if spans else principal.removesuffix(" user"))
    return names


def test_default_is_the_ten_newest_of_the_last_seven_days_with_a_summary(mixed: Slash) -> None:
    reply = mixed()

    assert entry_names(reply.json) == [
        "alice",
        "bob",
        "Erin.Admin",
        "root",
        "carol",
        "alice",
        "bob",
        "root",
        "dave",
    ]
    assert "9 of 9 sign-ins in the last 7 days: 3 failed, 2 root, 2 without MFA" in reply.text
    assert "oldtimer" not in reply.text
    assert "Since <!date^" in reply.text  # where the window starts, in the reader's zone


def test_each_entry_shows_time_result_principal_account_ip_mfa_region(mixed: Slash) -> None:
    mixed.configure(ACCOUNT_NAMES="444455556666=staging")

    reply = mixed("1 dave")

    [line] = [text for text in sections(reply.json) if "*IAM user `dave`*" in text]
    assert line.startswith("<!date^")
    assert ":white_check_mark:" in line
    assert "staging (444455556666)" in line
    assert "203.0.113." not in line and "198.51.100.7" in line
    assert "MFA yes" in line and "eu-west-1" in line


def test_n_limits_the_entries(mixed: Slash) -> None:
    reply = mixed("3")

    assert entry_names(reply.json) == ["alice", "bob", "Erin.Admin"]
    assert "3 of 9 sign-ins" in reply.text


def test_who_matches_name_or_arn_in_any_case(mixed: Slash) -> None:
    assert entry_names(mixed("ERIN").json) == ["Erin.Admin"]
    # the ARN of an Identity Center session names the permission set
    assert entry_names(mixed("administratoraccess").json)[0].startswith("carol")
    assert entry_names(mixed("user/bob").json) == ["bob", "bob"]


def test_failed_root_and_nomfa_filter(mixed: Slash) -> None:
    assert entry_names(mixed("failed").json) == ["alice", "bob", "root"]
    assert entry_names(mixed("root").json) == ["root", "root"]
    # Carol's Identity Center session reads MFAUsed: No, but its MFA is the IdP's.
    assert entry_names(mixed("nomfa").json) == ["bob", "root"]
    assert entry_names(mixed("root failed").json) == ["root"]
    assert "2 of 2 root sign-ins in the last 7 days" in mixed("root").text
    assert "1 of 1 failed root sign-ins in the last 7 days" in mixed("failed root").text


def test_since_narrows_or_widens_the_window(mixed: Slash) -> None:
    assert entry_names(mixed("since 30m").json) == ["alice", "bob"]
    assert "in the last 30 minutes" in mixed("since 30m").text
    assert entry_names(mixed("since 24h").json) == [
        "alice",
        "bob",
        "Erin.Admin",
        "root",
        "carol",
    ]
    assert "oldtimer" in mixed("since 30d").text
    assert (
        "10 of 10 sign-ins in the last 30 days: 3 failed, 2 root, 2 without MFA"
        in mixed("since 30d").text
    )


def test_account_by_id_or_by_name(mixed: Slash) -> None:
    mixed.configure(ACCOUNT_NAMES="444455556666=Staging")

    by_id = mixed("account 444455556666")
    by_name = mixed("account staging")

    assert entry_names(by_id.json) == entry_names(by_name.json) == ["bob", "dave"]
    assert "in account Staging (444455556666)" in by_name.text


def test_words_in_any_order(mixed: Slash) -> None:
    first = mixed("since 7d failed 5 bob")
    second = mixed("BOB 5 Failed since 7d")

    assert entry_names(first.json) == entry_names(second.json) == ["bob"]


def test_no_match_says_so_and_keeps_the_window_summary(mixed: Slash) -> None:
    reply = mixed("zed")

    assert reply.status == 200
    assert "No sign-ins matching “zed” in the last 7 days" in reply.text
    assert "9 sign-ins in the last 7 days: 3 failed, 2 root, 2 without MFA" in reply.text


def test_a_quiet_window_suggests_a_longer_one(slash: Slash) -> None:
    seed(slash, Login("e-old", ago(days=20), name="oldtimer"))

    reply = slash()

    assert "No sign-ins in the last 7 days" in reply.text
    assert "since 90d" in reply.text


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("51", "51"),
        ("0", "0"),
        ("since 5y", "5y"),
        ("since", "since"),
        ("since 0h", "0h"),
        ("since 400d", "400d"),
        ("account nope", "nope"),
        ("account", "account"),
        ("alice bob", "bob"),
        ("5 6", "6"),
        ("failed <!channel>", "&lt;!channel&gt;"),
        ("a*b", "a*b"),
    ],
)
def test_a_word_it_does_not_understand_gets_usage_quoting_it(
    mixed: Slash, text: str, word: str
) -> None:
    reply = mixed(text)

    assert reply.status == 200
    assert reply.json["response_type"] == "ephemeral"
    [problem, usage] = sections(reply.json)
    assert f"I did not understand `{word}`" in problem
    assert usage.startswith("*Usage:*")
    assert "<!date^" not in reply.text  # no sign-in listed
    assert "<!channel>" not in reply.text


def test_help_shows_usage(mixed: Slash) -> None:
    reply = mixed("help")

    assert "*Usage:*" in reply.text and "since 24h" in reply.text


def test_an_empty_ledger_suggests_the_backfill(slash: Slash) -> None:
    reply = slash()

    assert reply.status == 200
    assert "python manage.py backfill" in reply.text


def test_fifty_of_sixty_entries_stay_within_slack_limits(slash: Slash) -> None:
    seed(
        slash,
        *(
            Login(
                f"e-{n}",
                ago(minutes=n + 1),
                name=f"user-{n:02d}-" + "x" * 60,
                user_agent="u" * 1024,
            )
            for n in range(60)
        ),
    )

    reply = slash("50")

    assert_within_slack_limits(reply.json)
    names = entry_names(reply.json)
    assert len(names) == 50
    assert names[0].startswith("user-00-") and names[-1].startswith("user-49-")
    assert "50 of 60 sign-ins in the last 7 days" in reply.text


def test_hostile_strings_in_the_ledger_are_escaped_and_clipped(slash: Slash) -> None:
    hostile = "<!channel>&<https://evil.example|AWS>*bold*" + "<!here>" * 300
    seed(
        slash,
        *(
            Login(
                f"e-h{n}",
                ago(minutes=n + 1),
                name=hostile,
                source_ip="<!everyone>",
                region="<@U0BOSS>",
            )
            for n in range(50)
        ),
    )

    reply = slash("50")

    assert_within_slack_limits(reply.json)
    text = reply.text
    for ping in ("<!channel>", "<!here>", "<!everyone>", "<@U0BOSS>", "<https://evil"):
        assert ping not in text
    # In a code span, with its URL broken: Slack links nothing.
    assert "`&lt;!channel&gt;&amp;&lt;https[:]//evil.example|AWS&gt;" in text
    assert "https://evil" not in text
    assert len(entry_names(reply.json)) == 50


def test_a_duplicate_delivery_is_counted_once(slash: Slash) -> None:
    login = Login("e-dup", ago(minutes=3), name="alice", success=False)
    seed(slash, login, login)

    reply = slash()

    assert "1 of 1 sign-in in the last 7 days: 1 failed" in reply.text


def test_steps_inside_a_signin_are_not_listed(slash: Slash, invoke: Any) -> None:
    invoke(load_event("check_mfa.json"))
    seed(slash, Login("e-1", ago(minutes=5), name="alice"))

    reply = slash("since 90d")

    assert "1 of 1 sign-in" in reply.text


def test_a_signin_alerted_by_the_handler_is_listed(slash: Slash, invoke: Any) -> None:
    event = Login("e-live", ago(minutes=1), name="live-user", mfa=False).envelope()
    invoke(event)

    reply = slash()

    assert entry_names(reply.json) == ["live-user"]
    assert "1 without MFA" in reply.text


def test_an_unreadable_ledger_gets_an_apology_not_a_500(slash: Slash) -> None:
    slash.configure(LEDGER_TABLE="no-such-table")

    reply = slash()

    assert reply.status == 200
    assert "could not be read" in reply.text


def test_a_broken_setting_is_a_logged_refusal_not_a_500(slash: Slash, log_lines: list[str]) -> None:
    slash.configure(ACCOUNT_NAMES="garbage")

    reply = slash()

    assert (reply.status, reply.body) == (401, b"Unauthorized")
    assert "ConfigError" in log_lines[-1]
