"""GIVEN the pieces of "Was this you?" WHEN fed every sign-in shape and setting THEN
they ask only about successful sign-ins, mention nobody from event data, and read their
settings strictly."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.confirm.asking import should_ask
from chalicelib.confirm.escalation_message import denial_message, silence_message
from chalicelib.confirm.question import minutes_text, question_message
from chalicelib.confirm.slack_api import SlackApi
from chalicelib.confirm.users import Found, UserFinder, email_of
from chalicelib.judge.rules import evaluate
from chalicelib.settings import ConfigError, Settings
from chalicelib.severity import Severity
from chalicelib.signin.parse import Result, parse_signin
from chalicelib.store.listing import signin_attributes
from localdev.slack_sink import SlackSink
from tests.conftest import fixture_records

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
ENTITY = re.compile(r"<[!@#][^>]*>")
SETTINGS = Settings(confirm_enabled=True, slack_escalation_mention="<!subteam^S0SEC>")


def _signins() -> list[Any]:
    return [parse_signin(record["payload"], received_at=NOW) for record in fixture_records()]


def test_only_successful_sign_ins_are_asked_about_whatever_the_shape() -> None:
    for signin in _signins():
        verdict = evaluate(signin, SETTINGS)
        if should_ask(signin, verdict, SETTINGS):
            assert signin.outcome is Result.SUCCESS
            # a sign-in, or an account change (its maker is asked: issue 23)
            assert signin.change is not None or signin.event_name in (
                "ConsoleLogin",
                "UserAuthentication",
            )
            assert verdict.severity >= Severity.MEDIUM or verdict.new_place


def test_info_asks_about_every_successful_sign_in_identity_center_included() -> None:
    settings = Settings(confirm_enabled=True, confirm_min_severity=Severity.INFO)
    asked = [s for s in _signins() if should_ask(s, evaluate(s, settings), settings)]
    assert {s.federation.value for s in asked} >= {"none", "saml", "identity_center"}


def test_no_message_mentions_anyone_the_event_names() -> None:
    for signin in _signins():
        item = {k: v.get("S", "") for k, v in signin_attributes(signin).items() if "S" in v}
        item["severity"] = "HIGH"
        messages = [
            question_message(signin, SETTINGS),
            denial_message(item, "U0ALICE", SETTINGS, NOW),
            silence_message(item, "U0ALICE", SETTINGS, NOW, "15 min"),
        ]
        for message in messages:
            found = set(ENTITY.findall(json.dumps(message)))
            allowed = {"<@U0ALICE>", "<!subteam^S0SEC>"}
            assert {e for e in found if not e.startswith(("<!date^", "<http"))} <= allowed


@pytest.mark.parametrize(
    ("minutes", "text"), [(15, "15 min"), (2.5, "2.5 min"), (0.05, "3 s"), (1, "1 min")]
)
def test_minutes_read_naturally(minutes: float, text: str) -> None:
    assert minutes_text(minutes) == text


def test_confirm_settings_parse() -> None:
    settings = Settings.from_env(
        {
            "CONFIRM_ENABLED": "true",
            "CONFIRM_MIN_SEVERITY": "high",
            "CONFIRM_WITHIN_MINUTES": "0.5",
            "SLACK_USER_MAP": "arn:aws:iam::*:user/alice=U0ALICE, *@example.com=W0OPS",
            "SLACK_ESCALATION_MENTION": "<!subteam^S0SEC|@security>",
        }
    )
    assert settings.confirm_enabled and settings.confirm_min_severity is Severity.HIGH
    assert settings.confirm_within_minutes == 0.5
    assert settings.slack_user_map == (
        ("arn:aws:iam::*:user/alice", "U0ALICE"),
        ("*@example.com", "W0OPS"),
    )
    defaults = Settings.from_env({})
    assert not defaults.confirm_enabled and defaults.confirm_min_severity is Severity.MEDIUM
    assert defaults.confirm_within_minutes == 15 and defaults.slack_escalation_mention == ""


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CONFIRM_ENABLED", "maybe"),
        ("CONFIRM_MIN_SEVERITY", "URGENT"),
        ("CONFIRM_WITHIN_MINUTES", "0"),
        ("CONFIRM_WITHIN_MINUTES", "soon"),
        ("SLACK_USER_MAP", "alice"),
        ("SLACK_USER_MAP", "alice=<!channel>"),
        ("SLACK_USER_MAP", "alice=u0lower"),
        ("SLACK_ESCALATION_MENTION", "@security"),
        ("SLACK_ESCALATION_MENTION", "<!subteam^S0SEC> <!channel>"),
        ("SLACK_ESCALATION_MENTION", "<https://evil.example|click>"),
    ],
)
def test_bad_confirm_settings_name_the_setting(name: str, value: str) -> None:
    with pytest.raises((ConfigError, ValueError), match=name):
        Settings.from_env({name: value})


def test_the_first_matching_glob_wins() -> None:
    signin = next(s for s in _signins() if s.arn.endswith(":root"))
    finder = UserFinder((("arn:aws:iam::*:root", "U0ROOT"), ("*", "U0ALL")), _no_slack)
    assert finder.find(signin).user_id == "U0ROOT"


def _no_slack() -> SlackApi:
    raise AssertionError("a mapped user needs no Slack call")


def test_a_lookup_is_cached_an_hour_and_a_miss_five_minutes() -> None:
    clock = [0.0]
    with SlackSink() as sink:
        sink.users_by_email["carol@example.com"] = "U0CAROL"
        finder = UserFinder(
            (), lambda: SlackApi("xoxb", base_url=sink.api_url), monotonic=lambda: clock[0]
        )
        sso = next(s for s in _signins() if s.display_name and "@" not in s.display_name)
        carol = _named(sso, "carol@example.com")
        dave = _named(sso, "dave@example.com")

        assert finder.find(carol).found is Found.BY_EMAIL
        assert finder.find(dave).found is Found.NOBODY
        clock[0] = 299
        finder.find(carol), finder.find(dave)
        clock[0] = 301
        finder.find(carol), finder.find(dave)
        clock[0] = 3601
        finder.find(carol)

        lookups = [r.json["email"] for r in sink.requests]
    assert lookups == [
        "carol@example.com",
        "dave@example.com",
        "dave@example.com",
        "carol@example.com",
    ]


def _named(signin: Any, name: str) -> Any:
    from dataclasses import replace

    return replace(signin, display_name=name, arn=f"arn:aws:iam::111122223333:user/{name}")


@pytest.mark.parametrize(
    ("name", "email"),
    [
        ("alice@example.com", "alice@example.com"),
        ("Alice.B@Corp.Example.org", "alice.b@corp.example.org"),
        ("alice", None),
        ("<!channel>@x.com", None),
        ("a@b", None),
    ],
)
def test_only_an_address_is_looked_up(name: str, email: str | None) -> None:
    signin = _named(_signins()[0], name)
    assert email_of(signin) == email


def test_a_response_url_must_be_slacks_own(tmp_path: Any) -> None:
    api = SlackApi("xoxb")
    assert api.may_respond_to("https://hooks.slack.com/actions/T0/1/x")
    for url in (
        "http://hooks.slack.com/actions/T0/1/x",
        "https://hooks.slack.com.evil.example/x",
        "https://evil.example/?https://hooks.slack.com/",
        "file:///etc/passwd",
    ):
        assert not api.may_respond_to(url)
