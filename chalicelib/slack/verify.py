"""Slack request signatures: `v0=` + HMAC-SHA256 of `v0:{timestamp}:{raw body}`.

slack_sdk's `SignatureVerifier` does the HMAC and the constant-time comparison; this
module closes its gaps before it is asked: a missing secret refuses everything (older
slack_sdk versions accepted forgeries signed with an empty key), a timestamp that is
not a plain number is a refusal rather than a `ValueError`, and a header that cannot be
a signature is refused without computing anything.
"""

from __future__ import annotations

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


class _SdkClock:
    """slack_sdk's clock interface over our injectable one."""

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now

    def now(self) -> float:
        return self._now()


class RequestVerifier:
    def __init__(self, signing_secret: str | None, *, now: Callable[[], float] = time.time) -> None:
        self._secret = (signing_secret or "").strip()
        self._now = now

    def verify(self, raw_body: bytes, headers: Mapping[str, str]) -> Verification:
        if not self._secret:
            return Verification(Refusal.NO_SECRET)
        lowered = {name.lower(): value for name, value in headers.items()}
        timestamp = (lowered.get(TIMESTAMP_HEADER) or "").strip()
        signature = (lowered.get(SIGNATURE_HEADER) or "").strip()
        if not timestamp or not signature:
            return Verification(Refusal.MISSING_HEADERS)
        if not _TIMESTAMP.match(timestamp):
            return Verification(Refusal.MALFORMED_TIMESTAMP)
        skew = self._now() - int(timestamp)
        if skew > MAX_CLOCK_SKEW_SECONDS:
            return Verification(Refusal.STALE)
        if skew < -MAX_CLOCK_SKEW_SECONDS:
            return Verification(Refusal.FUTURE)
        if not _SIGNATURE.match(signature):
            return Verification(Refusal.MALFORMED_SIGNATURE)
        from slack_sdk.signature import SignatureVerifier

        verifier = SignatureVerifier(self._secret, clock=_SdkClock(self._now))  # type: ignore[arg-type]
        if not verifier.is_valid(body=raw_body, timestamp=timestamp, signature=signature):
            return Verification(Refusal.WRONG_SIGNATURE)
        return Verification()


def sign(secret: str, timestamp: int | str, raw_body: bytes) -> str:
    """The signature Slack would send: for the tests, the demo and the bench."""
    import hashlib
    import hmac

    message = b"v0:" + str(timestamp).encode() + b":" + raw_body
    return "v0=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
