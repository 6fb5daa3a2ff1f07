"""Slack request signatures: `v0=` + HMAC-SHA256 of `v0:{timestamp}:{raw body}`.

slack_sdk's `SignatureVerifier` computes the HMAC, compared in constant time here; the
signature and the timestamp are two checks, so that the request gate (`gate.py`) runs
them as two steps and only a request Slack signed is ever called stale. This module
also closes slack_sdk's gaps before it is asked: a missing secret refuses everything (older
slack_sdk versions accepted forgeries signed with an empty key), a timestamp that is
not a plain number is a refusal rather than a `ValueError`, and a header that cannot be
a signature is refused without computing anything.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

# Slack's own limit: a request signed more than five minutes away from our clock, in
# either direction, may be a replay.
MAX_CLOCK_SKEW_SECONDS = 300
TIMESTAMP_HEADER = "x-slack-request-timestamp"
SIGNATURE_HEADER = "x-slack-signature"
_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")
_SIGNATURE = re.compile(r"^v0=[0-9a-f]{64}$")


class Refusal(StrEnum):
    """Why a request was refused: for the log only, never for the caller."""

    NO_SECRET = "signing secret not configured"
    MISSING_HEADERS = "missing signature headers"
    MALFORMED_TIMESTAMP = "timestamp is not a number"
    STALE = "timestamp too old"
    FUTURE = "timestamp in the future"
    MALFORMED_SIGNATURE = "signature header is malformed"
    WRONG_SIGNATURE = "signature does not match"


@dataclass(frozen=True)
class Verification:
    refusal: Refusal | None = None

    @property
    def ok(self) -> bool:
        return self.refusal is None


class RequestVerifier:
    def __init__(self, signing_secret: str | None, *, now: Callable[[], float] = time.time) -> None:
        self._secret = (signing_secret or "").strip()
        self._now = now

    def verify(self, raw_body: bytes, headers: Mapping[str, str]) -> Verification:
        """Both checks, in the gate's order: who signed, then when."""
        return Verification(
            self.signature_refusal(raw_body, headers) or self.timestamp_refusal(headers)
        )

    def signature_refusal(self, raw_body: bytes, headers: Mapping[str, str]) -> Refusal | None:
        """None when the headers are well formed and the body is signed with our secret
        (whenever that was: `timestamp_refusal` says whether it is fresh)."""
        if not self._secret:
            return Refusal.NO_SECRET
        timestamp, signature = _signature_headers(headers)
        if not timestamp or not signature:
            return Refusal.MISSING_HEADERS
        if not _TIMESTAMP.match(timestamp):
            return Refusal.MALFORMED_TIMESTAMP
        if not _SIGNATURE.match(signature):
            return Refusal.MALFORMED_SIGNATURE
        from slack_sdk.signature import SignatureVerifier

        # slack_sdk's HMAC, compared in constant time; its `is_valid` would also check the
        # time, which is the next step's concern (and our clock's).
        expected = SignatureVerifier(self._secret).generate_signature(
            timestamp=timestamp, body=raw_body
        )
        if expected is None or not hmac.compare_digest(expected, signature):
            return Refusal.WRONG_SIGNATURE
        return None

    def timestamp_refusal(self, headers: Mapping[str, str]) -> Refusal | None:
        """None when the request was signed within five minutes of our clock."""
        timestamp, _ = _signature_headers(headers)
        if not _TIMESTAMP.match(timestamp):
            return Refusal.MALFORMED_TIMESTAMP
        skew = self._now() - int(timestamp)
        if skew > MAX_CLOCK_SKEW_SECONDS:
            return Refusal.STALE
        if skew < -MAX_CLOCK_SKEW_SECONDS:
            return Refusal.FUTURE
        return None


def _signature_headers(headers: Mapping[str, str]) -> tuple[str, str]:
    lowered = {name.lower(): value for name, value in headers.items()}
    return (
        (lowered.get(TIMESTAMP_HEADER) or "").strip(),
        (lowered.get(SIGNATURE_HEADER) or "").strip(),
    )


def sign(secret: str, timestamp: int | str, raw_body: bytes) -> str:
    """The signature Slack would send: for the tests, the demo and the bench."""
    message = b"v0:" + str(timestamp).encode() + b":" + raw_body
    return "v0=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
