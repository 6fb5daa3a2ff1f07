"""GIVEN a request to `/recent-logins` WHEN the handler checks it THEN only a fresh request
that Slack signed, from someone allowed, reaches the ledger; everyone else gets a bare
401 or an ephemeral refusal, and the log says why without the request's secrets.

The whole matrix runs against the handler itself; tests/functional/test_recent_logins.py
sends a few of these through the real route."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib.recent_logins.handler import RecentLogins
from chalicelib.settings import ConfigError, Settings
from chalicelib.slack.verify import RequestVerifier, sign

SECRET = "8f742231b10e8888abcd99yyyzzz85a5-test"
NOW = 1_795_000_000  # the handler's clock, in epoch seconds
TEAM_ID = "T0SECTEAM"
USER_ID = "U0ALICE"
CHANNEL_ID = "C0SECOPS"


@dataclass
class Request:
    """What the handler reads of Chalice's `app.current_request`."""

    raw_body: bytes
    headers: dict[str, str] = field(default_factory=dict)


class NoLedger:
    """Counts who reaches the ledger; a refused caller never must. It has nothing to
    give: whoever gets in is told it could not be read."""

    def __init__(self) -> None:
        self.reads = 0

    def recent(self, *args: Any, **kwargs: Any) -> Any:
        self.reads += 1
        raise RuntimeError("no ledger in this test")


@dataclass
class Gate:
    ledger: NoLedger
    env: dict[str, str]

    def handle(self, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        handler = RecentLogins(
            settings=lambda: Settings.from_env(self.env),
            verifier=lambda: RequestVerifier(self.env.get("SLACK_SIGNING_SECRET"), now=lambda: NOW),
            history=lambda: self.ledger,  # type: ignore[arg-type,return-value]
            clock=lambda: datetime.fromtimestamp(NOW, UTC),
        )
        response = handler.handle(Request(body, headers))
        raw = response.body
        return response.status_code, raw.encode() if isinstance(raw, str) else bytes(raw)

    def signed(self, body: bytes, *, secret: str = SECRET, at: int = NOW) -> tuple[int, bytes]:
        return self.handle(
            body,
            {"X-Slack-Request-Timestamp": str(at), "X-Slack-Signature": sign(secret, at, body)},
        )


def form(text: str = "", **fields: str) -> bytes:
    values = {
        "team_id": TEAM_ID,
        "channel_id": CHANNEL_ID,
        "user_id": USER_ID,
        "command": "/recent-logins",
        "text": text,
        "response_url": "https://hooks.slack.com/commands/T0SECTEAM/1/secret",
    }
    values.update(fields)
    return urlencode(values).encode()


@pytest.fixture
def gate() -> Gate:
    return Gate(NoLedger(), {"SLACK_SIGNING_SECRET": SECRET, "SLACK_TEAM_ID": TEAM_ID})


@pytest.fixture
def log_lines() -> Iterator[list[dict[str, Any]]]:
    import logging

    from chalicelib import logs

    lines: list[dict[str, Any]] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(json.loads(record.getMessage()))

    logs.emit({"message": "test starts"})  # let the app configure its logger first
    handler = Collect()
    logger = logging.getLogger("signin_alerts")
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)


def refused(answer: tuple[int, bytes]) -> bool:
    return answer == (401, b"Unauthorized")


# --- signatures ------------------------------------------------------------------------


def test_a_signed_request_gets_in(gate: Gate) -> None:
    status, _ = gate.signed(form("help"))  # `help` answers without reading the ledger

    assert status == 200


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no headers"),
        pytest.param({"X-Slack-Signature": "v0=" + "0" * 64}, id="no timestamp"),
        pytest.param({"X-Slack-Request-Timestamp": str(NOW)}, id="no signature"),
        pytest.param(
            {"X-Slack-Request-Timestamp": str(NOW), "X-Slack-Signature": ""}, id="empty signature"
        ),
    ],
)
def test_missing_headers_are_refused_with_a_bare_401(
    gate: Gate, headers: dict[str, str], log_lines: list[dict[str, Any]]
) -> None:
    assert refused(gate.handle(form(), headers))

    [line] = log_lines
    assert line["outcome"] == "refused"
    assert line["reason"] == "missing signature headers"
    assert "response_url" not in json.dumps(line) and "hooks.slack.com" not in json.dumps(line)
    assert gate.ledger.reads == 0


def _sign_text(timestamp: str, body: bytes) -> str:
    message = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(SECRET.encode(), message, hashlib.sha256).hexdigest()


@pytest.mark.parametrize("timestamp", ["1e9", "-5", "12.5", "0x10", "abc", "１２３", "9" * 40])
def test_a_non_numeric_timestamp_is_refused_not_an_error(gate: Gate, timestamp: str) -> None:
    body = form()
    headers = {
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": _sign_text(timestamp, body),
    }

    assert refused(gate.handle(body, headers))


@pytest.mark.parametrize(
    ("offset", "status"),
    [(-301, 401), (-290, 200), (290, 200), (301, 401), (-86_400, 401), (86_400, 401)],
)
def test_the_timestamp_must_be_within_five_minutes_either_way(
    gate: Gate, offset: int, status: int
) -> None:
    assert gate.signed(form("help"), at=NOW + offset)[0] == status


def test_a_signature_made_with_another_secret_is_refused(gate: Gate) -> None:
    assert refused(gate.signed(form(), secret="not-the-secret"))


def test_a_body_changed_after_signing_is_refused(gate: Gate) -> None:
    signature = sign(SECRET, NOW, form("10"))

    answer = gate.handle(
        form("50"), {"X-Slack-Request-Timestamp": str(NOW), "X-Slack-Signature": signature}
    )

    assert refused(answer)


@pytest.mark.parametrize("mangle", [str.upper, lambda s: s.replace("v0=", "v1="), lambda s: s[:-2]])
def test_a_malformed_signature_is_refused(gate: Gate, mangle: Any) -> None:
    body = form()
    headers = {
        "X-Slack-Request-Timestamp": str(NOW),
        "X-Slack-Signature": mangle(sign(SECRET, NOW, body)),
    }

    assert refused(gate.handle(body, headers))


@pytest.mark.parametrize("secret", ["", "   "])
def test_an_empty_signing_secret_refuses_everything_and_says_so(
    gate: Gate, secret: str, log_lines: list[dict[str, Any]]
) -> None:
    gate.env["SLACK_SIGNING_SECRET"] = secret

    forged = gate.signed(form(), secret=secret)
    honest = gate.signed(form(), secret=SECRET)

    assert refused(forged) and refused(honest)
    assert [line["reason"] for line in log_lines] == ["signing secret not configured"] * 2


def test_a_verifier_that_cannot_be_built_refuses_and_says_why(
    gate: Gate, log_lines: list[dict[str, Any]]
) -> None:
    def broken() -> RequestVerifier:
        raise ConfigError("ACCOUNT_NAMES: expected id=name pairs")

    handler = RecentLogins(
        settings=lambda: Settings.from_env(gate.env),
        verifier=broken,
        history=lambda: gate.ledger,  # type: ignore[arg-type,return-value]
        clock=lambda: datetime.fromtimestamp(NOW, UTC),
    )
    body = form()

    response = handler.handle(
        Request(
            body,
            {"X-Slack-Request-Timestamp": str(NOW), "X-Slack-Signature": sign(SECRET, NOW, body)},
        )
    )

    assert (response.status_code, response.body) == (401, "Unauthorized")
    assert "ConfigError" in log_lines[-1]["reason"]


def test_ssl_check_probes_get_an_empty_200_only_when_signed(gate: Gate) -> None:
    probe = b"ssl_check=1&token=legacy"

    assert gate.signed(probe) == (200, b"")
    assert refused(gate.handle(probe, {}))


# --- who may see sign-ins -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "fields"),
    [
        pytest.param({}, {"team_id": "T0OTHER"}, id="another workspace"),
        pytest.param({"SLACK_TEAM_ID": ""}, {}, id="no workspace configured"),
        pytest.param({"SLACK_ALLOWED_USER_IDS": "U0BOB,U0CAROL"}, {}, id="user not allowed"),
        pytest.param({"SLACK_ALLOWED_CHANNEL_IDS": "C0OTHER"}, {}, id="channel not allowed"),
    ],
)
def test_someone_not_allowed_gets_an_ephemeral_refusal_and_no_signin_is_read(
    gate: Gate, settings: dict[str, str], fields: dict[str, str]
) -> None:
    gate.env.update(settings)

    status, body = gate.signed(form("", **fields))

    reply = json.loads(body)
    assert status == 200
    assert reply["response_type"] == "ephemeral"
    assert "not allowed" in json.dumps(reply)
    assert gate.ledger.reads == 0


def test_an_allowed_user_in_an_allowed_channel_gets_to_the_ledger(gate: Gate) -> None:
    gate.env.update(
        SLACK_ALLOWED_USER_IDS=f"U0BOB, {USER_ID}", SLACK_ALLOWED_CHANNEL_IDS=CHANNEL_ID
    )

    status, body = gate.signed(form())

    assert status == 200
    assert gate.ledger.reads == 1  # it asked the ledger (which fails here: an apology)
    assert "could not be read" in body.decode()
