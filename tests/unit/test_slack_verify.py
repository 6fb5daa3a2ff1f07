"""GIVEN Slack's signing scheme WHEN a request arrives THEN only Slack's, fresh, pass."""

from __future__ import annotations

import pytest

from chalicelib.slack.verify import Refusal, RequestVerifier, sign
from tests.conftest import load_event

VECTOR = load_event("slack-signature-vector.json")
STAMP = int(VECTOR["timestamp"])
BODY = VECTOR["body"].encode()


def verify_vector(at: float, **headers: str) -> Refusal | None:
    verifier = RequestVerifier(VECTOR["signing_secret"], now=lambda: at)
    sent = {
        "X-Slack-Request-Timestamp": VECTOR["timestamp"],
        "X-Slack-Signature": VECTOR["signature"],
        **headers,
    }
    return verifier.verify(BODY, sent).refusal


def test_slacks_vector_passes_at_its_timestamp() -> None:
    assert verify_vector(STAMP) is None


def test_our_signer_reproduces_slacks_vector() -> None:
    assert sign(VECTOR["signing_secret"], VECTOR["timestamp"], BODY) == VECTOR["signature"]


@pytest.mark.parametrize(
    ("at", "refusal"),
    [
        (STAMP + 300, None),
        (STAMP - 300, None),
        (STAMP + 301, Refusal.STALE),
        (STAMP - 301, Refusal.FUTURE),
    ],
)
def test_the_vector_is_refused_beyond_300_seconds_either_way(
    at: int, refusal: Refusal | None
) -> None:
    assert verify_vector(at) == refusal


def test_header_names_are_case_insensitive() -> None:
    verifier = RequestVerifier(VECTOR["signing_secret"], now=lambda: STAMP)
    headers = {
        "x-slack-request-timestamp": VECTOR["timestamp"],
        "X-SLACK-SIGNATURE": VECTOR["signature"],
    }

    assert verifier.verify(BODY, headers).ok


@pytest.mark.parametrize(
    ("headers", "refusal"),
    [
        ({"X-Slack-Request-Timestamp": ""}, Refusal.MISSING_HEADERS),
        ({"X-Slack-Signature": ""}, Refusal.MISSING_HEADERS),
        ({"X-Slack-Request-Timestamp": "1531420618.0"}, Refusal.MALFORMED_TIMESTAMP),
        ({"X-Slack-Request-Timestamp": "NaN"}, Refusal.MALFORMED_TIMESTAMP),
        ({"X-Slack-Signature": "v0=" + "g" * 64}, Refusal.MALFORMED_SIGNATURE),
        ({"X-Slack-Signature": VECTOR["signature"].upper()}, Refusal.MALFORMED_SIGNATURE),
        ({"X-Slack-Signature": "v0=" + "0" * 64}, Refusal.WRONG_SIGNATURE),
    ],
)
def test_every_bad_header_is_a_refusal_never_an_exception(
    headers: dict[str, str], refusal: Refusal
) -> None:
    assert verify_vector(STAMP, **headers) == refusal


@pytest.mark.parametrize("secret", [None, "", "  \n"])
def test_no_secret_refuses_even_a_request_signed_with_the_empty_key(secret: str | None) -> None:
    body = b"team_id=T1&text="
    verifier = RequestVerifier(secret, now=lambda: 1_700_000_000)
    forged = {
        "X-Slack-Request-Timestamp": "1700000000",
        "X-Slack-Signature": sign("", 1_700_000_000, body),
    }

    assert verifier.verify(body, forged).refusal is Refusal.NO_SECRET
