"""The way in for every Slack route: one step per concern, always in the same order.

1. size: a body larger than the route's limit is refused before anything reads it;
2. base64: API Gateway may send the body base64-encoded: decoded, or refused (400);
   a body that is not UTF-8 cannot be Slack's form and is refused here too;
3. signature: `v0=` HMAC of the exact bytes (a missing or broken secret refuses);
4. timestamp: signed more than five minutes away from our clock is a replay;
5. ssl_check: Slack's signed probe gets an empty 200 (it names no workspace, so it is
   answered before the workspace step, which would refuse it);
6. team: the request's workspace must be in `SLACK_TEAM_ID`.

The gate returns a typed value: `Passed` (the verified form) or `Stopped` (which step,
why for the log, and the HTTP answer). A route keeps only its own work: its limit,
where its workspace is written, and what it does with a verified form. The gate does
not log: each route logs one line per request, the gate's reason included.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qs

from chalice.app import Response

from chalicelib.slack.verify import Refusal, RequestVerifier


class Stop(StrEnum):
    """The step that answered instead of the route."""

    TOO_LARGE = "too_large"
    BAD_BASE64 = "bad_base64"
    NOT_UTF8 = "not_utf8"
    MISCONFIGURED = "misconfigured"  # no signing secret, a setting that does not load
    UNSIGNED = "unsigned"  # missing, malformed or wrong signature
    STALE = "stale"  # signed, but too far from our clock
    SSL_CHECK = "ssl_check"
    WRONG_TEAM = "wrong_team"

    @property
    def answer(self) -> HttpAnswer:
        return _ANSWERS[self]

    @property
    def outcome(self) -> str:
        """The log's `outcome` for this stop (the routes' words before the gate)."""
        return _OUTCOMES.get(self, "refused")


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    body: str = ""
    content_type: str = "text/plain"

    def response(self) -> Response:
        if not self.body:
            return Response(body="", status_code=self.status)
        return Response(
            body=self.body, status_code=self.status, headers={"Content-Type": self.content_type}
        )


# Slack shows its own error for anything but a 200, so an outsider's workspace gets a
# 200 that says why; a button click's answer body is ignored by Slack, so one answer
# serves every route.
NOT_ALLOWED_TEXT = (
    ":no_entry: You are not allowed to use signin-alerts from this workspace. Ask the "
    "team that runs it to add your workspace."
)
NOT_ALLOWED_REPLY: dict[str, Any] = {
    "response_type": "ephemeral",
    "text": "You are not allowed to use signin-alerts from this workspace.",
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": NOT_ALLOWED_TEXT}}],
}
UNAUTHORIZED = HttpAnswer(401, "Unauthorized")
_ANSWERS: dict[Stop, HttpAnswer] = {
    Stop.TOO_LARGE: UNAUTHORIZED,
    Stop.BAD_BASE64: HttpAnswer(400, "Bad Request"),
    Stop.NOT_UTF8: UNAUTHORIZED,
    Stop.MISCONFIGURED: UNAUTHORIZED,
    Stop.UNSIGNED: UNAUTHORIZED,
    Stop.STALE: UNAUTHORIZED,
    Stop.SSL_CHECK: HttpAnswer(200),
    Stop.WRONG_TEAM: HttpAnswer(
        200, json.dumps(NOT_ALLOWED_REPLY, ensure_ascii=False), "application/json"
    ),
}
_OUTCOMES = {
    Stop.BAD_BASE64: "bad_request",
    Stop.SSL_CHECK: "ssl_check",
    Stop.WRONG_TEAM: "not_allowed",
}
# The verifier's refusals that are about time, not about who signed.
_TIME_REFUSALS = frozenset({Refusal.STALE, Refusal.FUTURE})


@dataclass(frozen=True)
class Incoming:
    """A request as it came in: the body as sent (maybe base64) and the headers."""

    body: bytes | str | None
    headers: Mapping[str, str]
    base64_encoded: bool = False

    @classmethod
    def from_request(cls, request: Any) -> Incoming:
        """From Chalice's `app.current_request`: its original event, so the body is
        measured and decoded here (Chalice's `raw_body` would decode first, and raise)."""
        headers: Mapping[str, str] = getattr(request, "headers", None) or {}
        original = getattr(request, "to_original_event", None)
        if callable(original):
            event = original()
            return cls(event.get("body"), headers, bool(event.get("isBase64Encoded")))
        return cls(getattr(request, "raw_body", b""), headers)

    @property
    def has_timestamp(self) -> bool:
        return any(name.lower() == "x-slack-request-timestamp" for name in self.headers)


@dataclass(frozen=True)
class Passed:
    """A request Slack signed, fresh, from an allowed workspace."""

    form: dict[str, str]  # each field's first value; blank fields kept
    body: bytes  # the exact bytes Slack signed


@dataclass(frozen=True)
class Stopped:
    stop: Stop
    reason: str  # for the log only: never the body, never a secret

    def response(self) -> Response:
        return self.stop.answer.response()


Verdict = Passed | Stopped


@dataclass(frozen=True)
class SlackRoute:
    """What differs between Slack routes: the largest body and where the workspace is."""

    max_body_bytes: int
    team_of: Callable[[Mapping[str, str]], str]


def form_team(form: Mapping[str, str]) -> str:
    """Slash commands (and most forms Slack posts) name the workspace in `team_id`."""
    return form.get("team_id", "").strip()


class SlackGate:
    def __init__(
        self,
        route: SlackRoute,
        *,
        verifier: Callable[[], RequestVerifier],
        team_ids: Callable[[], frozenset[str]],
    ) -> None:
        # Factories, read per request: a missing secret or a bad setting is a refusal
        # the route logs, never a 500. The verifier carries the clock.
        self._route = route
        self._verifier = verifier
        self._team_ids = team_ids

    def check(self, incoming: Incoming) -> Verdict:
        body = self.signed_body(incoming)
        if isinstance(body, Stopped):
            return body
        form = {
            name: values[0]
            for name, values in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()
        }
        stopped = self._ssl_check(form) or self._team(form)
        return stopped or Passed(form, body)

    def signed_body(self, incoming: Incoming) -> bytes | Stopped:
        """Steps 1 to 4 (size, base64, signature, time): the exact bytes Slack signed.
        A route whose body is JSON (the Events API) reads its workspace itself and asks
        `team_refusal`."""
        stopped = self._size(incoming)
        if stopped:
            return stopped
        body = self._decode(incoming)
        if isinstance(body, Stopped):
            return body
        return self._text(body) or self._signed(body, incoming.headers) or body

    def team_refusal(self, team_id: str) -> Stopped | None:
        """Step 6 for a route that found the workspace in its own body."""
        return self._team({"team_id": team_id})

    # -- the steps, in order -------------------------------------------------------------
    def _size(self, incoming: Incoming) -> Stopped | None:
        limit = self._route.max_body_bytes
        if incoming.base64_encoded:
            limit = -(-limit // 3) * 4  # the limit's base64 length: refused before decoding
        body = incoming.body or b""
        size = len(body.encode()) if isinstance(body, str) else len(body)
        return Stopped(Stop.TOO_LARGE, "body too large") if size > limit else None

    def _decode(self, incoming: Incoming) -> bytes | Stopped:
        body = incoming.body or b""
        raw = body.encode() if isinstance(body, str) else bytes(body)
        if not incoming.base64_encoded:
            return raw
        try:
            decoded = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            return Stopped(Stop.BAD_BASE64, "body is not valid base64")
        if len(decoded) > self._route.max_body_bytes:  # padding can hide a few bytes
            return Stopped(Stop.TOO_LARGE, "body too large")
        return decoded

    def _text(self, body: bytes) -> Stopped | None:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:  # Slack's forms are ASCII: it cannot be Slack's
            return Stopped(Stop.NOT_UTF8, "body is not UTF-8")
        return None

    def _signed(self, body: bytes, headers: Mapping[str, str]) -> Stopped | None:
        """The signature, then the timestamp: an unsigned request's time means nothing,
        so only a request Slack did sign is ever logged as a replay."""
        try:
            verifier = self._verifier()
        except Exception as error:  # a missing SSM parameter, a bad setting
            return Stopped(Stop.MISCONFIGURED, f"{Refusal.NO_SECRET.value}: {type(error).__name__}")
        try:
            refusal = verifier.signature_refusal(body, headers) or verifier.timestamp_refusal(
                headers
            )
        except Exception as error:  # a bug in verification refuses, and says so
            return Stopped(Stop.UNSIGNED, f"verification failed: {type(error).__name__}")
        if refusal is None:
            return None
        if refusal is Refusal.NO_SECRET:
            return Stopped(Stop.MISCONFIGURED, refusal.value)
        return Stopped(Stop.STALE if refusal in _TIME_REFUSALS else Stop.UNSIGNED, refusal.value)

    def _ssl_check(self, form: Mapping[str, str]) -> Stopped | None:
        return Stopped(Stop.SSL_CHECK, "") if form.get("ssl_check") == "1" else None

    def _team(self, form: Mapping[str, str]) -> Stopped | None:
        try:
            allowed = self._team_ids()
        except Exception as error:  # a setting that does not load: refused, logged
            return Stopped(Stop.MISCONFIGURED, f"settings: {type(error).__name__}")
        if not allowed:
            return Stopped(Stop.WRONG_TEAM, "SLACK_TEAM_ID is not configured")
        if self._route.team_of(form) not in allowed:
            return Stopped(Stop.WRONG_TEAM, "workspace not allowed")
        return None
