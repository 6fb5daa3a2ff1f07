"""`POST /slack/recent-logins`: verify, authorise, parse, read the ledger, reply.

Slack shows the user a generic error for any answer that is not a 200 within three
seconds, so after verification every path answers 200 with an ephemeral message, even
a bug or a DynamoDB outage. Before verification the only answer is a bare 401.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from chalice.app import Response

from chalicelib import logs
from chalicelib.aws_clients import InvocationDeadline
from chalicelib.recent_logins.access import Access, Caller
from chalicelib.recent_logins.command import MAX_TEXT_CHARACTERS, BadCommand, parse_command
from chalicelib.recent_logins.history import SigninHistory
from chalicelib.recent_logins.replies import (
    not_allowed_reply,
    recent_reply,
    unavailable_reply,
    usage_reply,
)
from chalicelib.settings import Settings
from chalicelib.slack.verify import Refusal, RequestVerifier

# The largest body Slack can send: its 4,000-character text, every character up to 4
# bytes of UTF-8 and each byte percent-encoded as 3, plus the form's other fields. A
# longer command is a usage reply; only a body no Slack request can be is refused.
MAX_BODY_BYTES = MAX_TEXT_CHARACTERS * 4 * 3 + 8192
# No AWS call (the signing secret from SSM, a ledger read) may run past this, counted
# from the request's arrival: a hung table is a "could not be read" reply, not silence.
ANSWER_WITHIN_SECONDS = 2.5
UNAUTHORIZED = "Unauthorized"


@dataclass(frozen=True)
class SlashOutcome:
    status: str
    reason: str = ""


class RecentLogins:
    def __init__(
        self,
        *,
        settings: Callable[[], Settings],
        verifier: Callable[[], RequestVerifier],
        history: Callable[[], SigninHistory],
        clock: Callable[[], datetime],
        confirm_states: Callable[[list[str]], Mapping[str, str]] | None = None,
        calls: InvocationDeadline | None = None,
    ) -> None:
        self._confirm_states = confirm_states  # "Was this you?" marks, when it is on
        # Factories, so that a broken setting is a logged refusal, not a 500.
        self._settings = settings
        self._verifier = verifier
        self._history = history
        self._clock = clock
        self._calls = calls or InvocationDeadline()

    def handle(self, request: Any) -> Response:
        """`request` is Chalice's `app.current_request`: its `raw_body` is the exact
        bytes Slack signed, its `headers` a case-insensitive mapping."""
        started = time.monotonic()  # for the log's elapsed time
        self._calls.start_within(ANSWER_WITHIN_SECONDS)
        try:
            raw = getattr(request, "raw_body", b"") or b""
        except ValueError:  # `isBase64Encoded` with a body that is not base64
            self._log(SlashOutcome("bad_request", "body is not valid base64"), started)
            return Response(body="Bad Request", status_code=400, headers=_PLAIN)
        body = raw.encode() if isinstance(raw, str) else bytes(raw)
        headers: Mapping[str, str] = getattr(request, "headers", None) or {}
        refused = self._refusal(body, headers)
        if refused is not None:
            self._log(refused, started, has_timestamp=_has_timestamp(headers))
            return _unauthorized()

        form = {
            name: values[0]
            for name, values in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()
        }
        if form.get("ssl_check") == "1":
            self._log(SlashOutcome("ssl_check"), started)
            return Response(body="", status_code=200)
        caller = Caller.from_form(form)
        try:
            reply, outcome = self._answer(caller, form.get("text", ""))
        except Exception as error:  # never a 500 or a stack trace to Slack
            reply, outcome = unavailable_reply(), SlashOutcome("error", type(error).__name__)
        self._log(outcome, started, caller=caller, text=form.get("text", ""))
        return Response(
            body=json.dumps(reply, ensure_ascii=False),
            status_code=200,
            headers={"Content-Type": "application/json"},
        )

    def _refusal(self, body: bytes, headers: Mapping[str, str]) -> SlashOutcome | None:
        """Why the request is refused, None when Slack signed it. Each step says what
        really failed: the size, the secret, the encoding or the signature."""
        if len(body) > MAX_BODY_BYTES:
            return SlashOutcome("refused", "body too large")
        try:
            verifier = self._verifier()
        except Exception as error:  # a missing SSM parameter, a bad setting
            return SlashOutcome("refused", f"{Refusal.NO_SECRET.value}: {type(error).__name__}")
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:  # Slack's forms are ASCII: it cannot be Slack's
            return SlashOutcome("refused", "body is not UTF-8")
        try:
            refusal = verifier.verify(body, headers).refusal
        except Exception as error:  # a bug in verification refuses, and says so
            return SlashOutcome("refused", f"verification failed: {type(error).__name__}")
        return None if refusal is None else SlashOutcome("refused", refusal.value)

    def _answer(self, caller: Caller, text: str) -> tuple[dict[str, Any], SlashOutcome]:
        settings = self._settings()
        access = Access(
            team_ids=frozenset(settings.slack_team_ids),
            user_ids=frozenset(settings.slack_allowed_user_ids),
            channel_ids=frozenset(settings.slack_allowed_channel_ids),
        )
        denied = access.refusal(caller)
        if denied:
            return not_allowed_reply(), SlashOutcome("not_allowed", denied)
        try:
            command = parse_command(text, settings)
        except BadCommand as bad:
            return usage_reply(bad), SlashOutcome("usage", bad.why)
        if command.help:
            return usage_reply(), SlashOutcome("help")
        try:
            history = self._history().recent(command.to_query(self._clock()))
        except Exception as error:  # DynamoDB throttled or unreachable
            return unavailable_reply(), SlashOutcome("ledger_unavailable", type(error).__name__)
        reason = f"{len(history.entries)} entries, {history.calls} calls"
        marks = None
        if settings.confirm_enabled and self._confirm_states is not None:
            try:
                marks = self._confirm_states([entry.event_id for entry in history.entries])
            except Exception as error:  # the listing without its marks beats no listing
                reason += f", no confirmation marks: {type(error).__name__}"
        return recent_reply(command, history, settings, marks), SlashOutcome("answered", reason)

    def _log(
        self,
        outcome: SlashOutcome,
        started: float,
        *,
        caller: Caller | None = None,
        text: str = "",
        has_timestamp: bool | None = None,
    ) -> None:
        # Never the request body: it holds the response_url, a bearer capability.
        fields: dict[str, Any] = {
            "message": "recent_logins",
            "outcome": outcome.status,
            "reason": outcome.reason,
            "elapsed_ms": round((time.monotonic() - started) * 1000),
        }
        if caller is not None:
            fields.update(
                team_id=caller.team_id[:32],
                user_id=caller.user_id[:32],
                channel_id=caller.channel_id[:32],
                text=text[:200],
            )
        if has_timestamp is not None:
            fields["has_timestamp_header"] = has_timestamp
        logs.emit(fields)


_PLAIN: dict[str, str | list[str]] = {"Content-Type": "text/plain"}


def _unauthorized() -> Response:
    return Response(body=UNAUTHORIZED, status_code=401, headers=_PLAIN)


def _has_timestamp(headers: Mapping[str, str]) -> bool:
    return any(name.lower() == "x-slack-request-timestamp" for name in headers)
