"""`POST /slack/recent-logins`: through the Slack gate, authorise, parse, read the
ledger, reply.

Slack shows the user a generic error for any answer that is not a 200 within three
seconds, so after the gate every path answers 200 with an ephemeral message, even a bug
or a DynamoDB outage. The gate's own answers (a bare 401, 400 for bad base64, an empty
200 for `ssl_check`, "not allowed" for another workspace) are in `slack/gate.py`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalice.app import Response

from chalicelib import logs
from chalicelib.aws_clients import InvocationDeadline
from chalicelib.organization.roster import Roster
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
from chalicelib.slack.gate import Incoming, SlackGate, SlackRoute, Stopped, form_team
from chalicelib.slack.verify import RequestVerifier

# The largest body Slack can send: its 4,000-character text, every character up to 4
# bytes of UTF-8 and each byte percent-encoded as 3, plus the form's other fields. A
# longer command is a usage reply; only a body no Slack request can be is refused.
MAX_BODY_BYTES = MAX_TEXT_CHARACTERS * 4 * 3 + 8192
# No AWS call (the signing secret from SSM, a ledger read) may run past this, counted
# from the request's arrival: a hung table is a "could not be read" reply, not silence.
ANSWER_WITHIN_SECONDS = 2.5
# The gate's steps (size, base64, signature, time, ssl_check, workspace) for this route.
SLASH_COMMAND = SlackRoute(max_body_bytes=MAX_BODY_BYTES, team_of=form_team)


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
        roster: Callable[[], Roster] = Roster,
    ) -> None:
        self._roster = roster  # the organization's names and OUs, from the ledger
        self._confirm_states = confirm_states  # "Was this you?" marks, when it is on
        # Factories, so that a broken setting is a logged refusal, not a 500.
        self._settings = settings
        self._gate = SlackGate(
            SLASH_COMMAND, verifier=verifier, team_ids=lambda: frozenset(settings().slack_team_ids)
        )
        self._history = history
        self._clock = clock
        self._calls = calls or InvocationDeadline()

    def handle(self, request: Any) -> Response:
        """`request` is Chalice's `app.current_request`; the gate reads the exact bytes
        Slack signed from it (decoding base64 itself) and its headers."""
        started = time.monotonic()  # for the log's elapsed time
        self._calls.start_within(ANSWER_WITHIN_SECONDS)
        incoming = Incoming.from_request(request)
        verdict = self._gate.check(incoming)
        if isinstance(verdict, Stopped):
            refused = verdict.stop.answer.status == 401
            self._log(
                SlashOutcome(verdict.stop.outcome, verdict.reason),
                started,
                has_timestamp=incoming.has_timestamp if refused else None,
            )
            return verdict.response()

        form = verdict.form
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

    def _answer(self, caller: Caller, text: str) -> tuple[dict[str, Any], SlashOutcome]:
        settings = self._settings()
        access = Access(  # the workspace was the gate's step
            user_ids=frozenset(settings.slack_allowed_user_ids),
            channel_ids=frozenset(settings.slack_allowed_channel_ids),
        )
        denied = access.refusal(caller)
        if denied:
            return not_allowed_reply(), SlashOutcome("not_allowed", denied)
        roster = self._organization()
        settings = settings.with_account_names(roster.names())
        try:
            command = parse_command(text, settings, roster)
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

    def _organization(self) -> Roster:
        """The organization as the ledger holds it; without it, ids and ACCOUNT_NAMES
        (a listing without names beats no listing)."""
        try:
            return self._roster()
        except Exception as error:
            logs.emit({"message": "recent_logins", "organization": type(error).__name__})
            return Roster()

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
