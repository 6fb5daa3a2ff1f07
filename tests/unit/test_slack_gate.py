"""GIVEN the Slack request gate WHEN a request comes in THEN each step refuses what it is
for, in order (size, base64, signature, timestamp, ssl_check, workspace), and the first
failing step alone answers, with its own HTTP answer, never a 500."""

from __future__ import annotations

import base64
import json
from urllib.parse import urlencode

import pytest
from chalice.app import Request

from chalicelib.settings import ConfigError
from chalicelib.slack.gate import (
    Incoming,
    Passed,
    SlackGate,
    SlackRoute,
    Stop,
    Stopped,
    Verdict,
    form_team,
)
from chalicelib.slack.verify import RequestVerifier, sign

SECRET = "8f742231b10e8888abcd99yyyzzz85a5-test"
NOW = 1_795_000_000
TEAM = "T0SECTEAM"
LIMIT = 1_000
ROUTE = SlackRoute(max_body_bytes=LIMIT, team_of=form_team)


def gate(*, secret: str | None = SECRET, teams: frozenset[str] = frozenset({TEAM})) -> SlackGate:
    return SlackGate(
        ROUTE, verifier=lambda: RequestVerifier(secret, now=lambda: NOW), team_ids=lambda: teams
    )


def form(team: str = TEAM, **fields: str) -> bytes:
    return urlencode({"team_id": team, "text": "", **fields}).encode()


def signed(body: bytes, *, secret: str = SECRET, at: int = NOW) -> dict[str, str]:
    return {"X-Slack-Request-Timestamp": str(at), "X-Slack-Signature": sign(secret, at, body)}


def check(
    body: bytes, headers: dict[str, str], *, as_base64: bool = False, on: SlackGate | None = None
) -> Verdict:
    sent: bytes | str = base64.b64encode(body).decode() if as_base64 else body
    return (on or gate()).check(Incoming(sent, headers, base64_encoded=as_base64))


def stop(verdict: Verdict) -> Stop | None:
    return verdict.stop if isinstance(verdict, Stopped) else None


def padded_to(size: int) -> bytes:
    """A form for our workspace of exactly `size` bytes."""
    body = form()
    return body + b"&pad=" + b"x" * (size - len(body) - 5)


# --- 1. size ---------------------------------------------------------------------------


def test_a_body_at_the_limit_passes_and_one_byte_more_is_refused() -> None:
    at_limit, over = padded_to(LIMIT), padded_to(LIMIT + 1)

    assert isinstance(check(at_limit, signed(at_limit)), Passed)
    assert stop(check(over, signed(over))) is Stop.TOO_LARGE


def test_an_oversized_and_unsigned_body_is_refused_for_its_size() -> None:
    verdict = check(padded_to(LIMIT + 1), {})

    assert stop(verdict) is Stop.TOO_LARGE
    assert isinstance(verdict, Stopped) and verdict.reason == "body too large"


def test_an_oversized_base64_body_is_refused_before_it_is_decoded() -> None:
    not_even_base64 = "!" * (LIMIT * 2)

    verdict = gate().check(Incoming(not_even_base64, {}, base64_encoded=True))

    assert stop(verdict) is Stop.TOO_LARGE


def test_the_limit_is_on_the_decoded_body_when_it_comes_base64_encoded() -> None:
    at_limit, over = padded_to(LIMIT), padded_to(LIMIT + 1)

    assert isinstance(check(at_limit, signed(at_limit), as_base64=True), Passed)
    assert stop(check(over, signed(over), as_base64=True)) is Stop.TOO_LARGE


# --- 2. base64 (and UTF-8) -------------------------------------------------------------


def test_a_base64_body_is_decoded_and_verified_as_the_bytes_slack_signed() -> None:
    body = form(text="since 2h")

    verdict = check(body, signed(body), as_base64=True)

    assert verdict == Passed({"team_id": TEAM, "text": "since 2h"}, body)


@pytest.mark.parametrize("sent", ["this is *not* base64!", "abc", "YWJj\n", "YW=Jj"])
def test_a_bad_base64_body_is_a_400_even_unsigned(sent: str) -> None:
    verdict = gate().check(Incoming(sent, {}, base64_encoded=True))

    assert stop(verdict) is Stop.BAD_BASE64
    assert verdict.response().status_code == 400  # type: ignore[union-attr]


def test_a_body_that_is_not_utf8_is_refused_before_the_secret_is_even_read() -> None:
    body = b"text=\xff\xfe&team_id=" + TEAM.encode()

    verdict = check(body, signed(body), on=gate(secret=None))

    assert stop(verdict) is Stop.NOT_UTF8
    assert isinstance(verdict, Stopped) and verdict.reason == "body is not UTF-8"


# --- 3. signature ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="unsigned"),
        pytest.param(signed(form(), secret="not-the-secret"), id="another secret"),
        pytest.param(signed(form("T0OTHER")), id="signed for another body"),
        pytest.param({**signed(form()), "X-Slack-Signature": "v0=zz"}, id="malformed"),
    ],
)
def test_a_forged_body_for_another_workspace_is_refused_for_its_signature(
    headers: dict[str, str],
) -> None:
    assert stop(check(form("T0OTHER", text="x"), headers)) is Stop.UNSIGNED


def test_a_forged_and_stale_request_is_refused_for_its_signature_not_its_age() -> None:
    body = form()

    verdict = check(body, signed(body, secret="not-the-secret", at=NOW - 3_600))

    assert stop(verdict) is Stop.UNSIGNED
    assert isinstance(verdict, Stopped) and verdict.reason == "signature does not match"


@pytest.mark.parametrize("secret", [None, "", "  "])
def test_no_signing_secret_refuses_everything_as_misconfigured(secret: str | None) -> None:
    body = form()

    verdict = check(body, signed(body, secret=secret or "x"), on=gate(secret=secret))

    assert stop(verdict) is Stop.MISCONFIGURED
    assert verdict.response().status_code == 401  # type: ignore[union-attr]


def test_a_verifier_that_cannot_be_built_is_a_logged_401_not_an_exception() -> None:
    def broken() -> RequestVerifier:
        raise ConfigError("ACCOUNT_NAMES: expected id=name pairs")

    broken_gate = SlackGate(ROUTE, verifier=broken, team_ids=lambda: frozenset({TEAM}))
    body = form()

    verdict = broken_gate.check(Incoming(body, signed(body)))

    assert stop(verdict) is Stop.MISCONFIGURED
    assert isinstance(verdict, Stopped) and "ConfigError" in verdict.reason


# --- 4. timestamp ----------------------------------------------------------------------


@pytest.mark.parametrize(("offset", "reason"), [(-301, "too old"), (301, "in the future")])
def test_a_signed_request_from_another_workspace_is_refused_for_its_age_first(
    offset: int, reason: str
) -> None:
    body = form("T0OTHER")

    verdict = check(body, signed(body, at=NOW + offset))

    assert stop(verdict) is Stop.STALE
    assert isinstance(verdict, Stopped) and reason in verdict.reason


@pytest.mark.parametrize("offset", [-300, 300])
def test_five_minutes_either_way_is_still_fresh(offset: int) -> None:
    body = form()

    assert isinstance(check(body, signed(body, at=NOW + offset)), Passed)


# --- 5. ssl_check ----------------------------------------------------------------------


def test_a_signed_ssl_check_gets_an_empty_200_though_it_names_no_workspace() -> None:
    probe = b"ssl_check=1&token=legacy"

    verdict = check(probe, signed(probe))

    assert stop(verdict) is Stop.SSL_CHECK
    response = verdict.response()  # type: ignore[union-attr]
    assert (response.status_code, response.body) == (200, "")


def test_an_unsigned_or_stale_ssl_check_is_refused() -> None:
    probe = b"ssl_check=1&token=legacy"

    assert stop(check(probe, {})) is Stop.UNSIGNED
    assert stop(check(probe, signed(probe, at=NOW - 600))) is Stop.STALE


# --- 6. workspace ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "teams", "reason"),
    [
        pytest.param(form("T0OTHER"), frozenset({TEAM}), "workspace not allowed", id="other"),
        pytest.param(b"text=", frozenset({TEAM}), "workspace not allowed", id="none named"),
        pytest.param(form(), frozenset(), "SLACK_TEAM_ID is not configured", id="none set"),
    ],
)
def test_another_workspace_gets_a_200_that_says_not_allowed(
    body: bytes, teams: frozenset[str], reason: str
) -> None:
    verdict = check(body, signed(body), on=gate(teams=teams))

    assert isinstance(verdict, Stopped)
    assert (verdict.stop, verdict.reason) == (Stop.WRONG_TEAM, reason)
    response = verdict.response()
    reply = json.loads(response.body)
    assert response.status_code == 200
    assert reply["response_type"] == "ephemeral" and "not allowed" in reply["text"]


def test_a_team_list_that_cannot_be_read_is_a_401() -> None:
    def broken() -> frozenset[str]:
        raise ConfigError("SLACK_TEAM_ID: bad")

    body = form()
    broken_gate = SlackGate(
        ROUTE, verifier=lambda: RequestVerifier(SECRET, now=lambda: NOW), team_ids=broken
    )

    verdict = broken_gate.check(Incoming(body, signed(body)))

    assert stop(verdict) is Stop.MISCONFIGURED


def test_the_route_says_where_its_workspace_is_written() -> None:
    in_payload = SlackRoute(LIMIT, team_of=lambda fields: fields.get("payload", "")[:9])
    payload_gate = SlackGate(
        in_payload,
        verifier=lambda: RequestVerifier(SECRET, now=lambda: NOW),
        team_ids=lambda: frozenset({TEAM}),
    )
    body = urlencode({"payload": TEAM + "-rest", "team_id": "T0OTHER"}).encode()

    assert isinstance(payload_gate.check(Incoming(body, signed(body))), Passed)


# --- passed, and every answer ----------------------------------------------------------


def test_a_request_that_passes_every_step_carries_its_form_and_exact_bytes() -> None:
    body = form(text="", user_id="U0ALICE") + b"&user_id=U0SECOND"

    verdict = check(body, signed(body))

    assert verdict == Passed({"team_id": TEAM, "text": "", "user_id": "U0ALICE"}, body)


@pytest.mark.parametrize("stopped", list(Stop))
def test_every_stop_has_an_answer_and_none_is_a_500(stopped: Stop) -> None:
    assert stopped.answer.status in (200, 400, 401)
    assert stopped.outcome


def test_chalices_request_is_read_as_sent_base64_and_all() -> None:
    body = form()
    request = Request(
        {
            "multiValueQueryStringParameters": None,
            "headers": signed(body),
            "pathParameters": {},
            "requestContext": {"httpMethod": "POST", "resourcePath": "/slack/x"},
            "body": base64.b64encode(body).decode(),
            "isBase64Encoded": True,
            "stageVariables": {},
        }
    )

    incoming = Incoming.from_request(request)

    assert incoming.base64_encoded and incoming.has_timestamp
    assert gate().check(incoming) == Passed({"team_id": TEAM, "text": ""}, body)
