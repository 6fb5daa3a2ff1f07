"""`POST /slack/interactions`: the answer to "Was this you?".

Through the same Slack gate as `/recent-logins` (`slack/gate.py`: size, base64, v0
signature, five minutes, `ssl_check`, the workspace allow-list, each answered the same
on every route); the `/recent-logins` user allow-list does not apply, since the asked
person must be able to answer. Everything an answer causes is
done before the route returns (within Slack's three seconds): the ledger write, the
alert's update, the DM's thank-you, a denial's escalation. Slack ignores the body of
the answer to a button click, so a reply for the clicker goes to `response_url`.
Every path after verification is a 200, never a 500.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from chalice.app import Response

from chalicelib import logs
from chalicelib.aws_clients import InvocationDeadline
from chalicelib.clock import Clock
from chalicelib.confirm.alert_update import update_alert
from chalicelib.confirm.question import ACTIONS, answer_note, minutes_between, thanks_message
from chalicelib.confirm.slack_api import SlackApi
from chalicelib.confirm.state import Answer, count
from chalicelib.confirm.sweep import Escalations
from chalicelib.settings import Settings
from chalicelib.slack.delivery import SlackNotifier
from chalicelib.slack.gate import Incoming, SlackGate, SlackRoute, Stopped
from chalicelib.slack.verify import RequestVerifier
from chalicelib.store.day_tally import DayTally
from chalicelib.store.signin_reads import SigninReads
from chalicelib.store.signin_record import ConfirmState, QuestionState, SigninRecord
from chalicelib.store.signin_writes import SigninWrites

# A block_actions payload carries the whole message clicked: a few KB.
MAX_BODY_BYTES = 65_536
# Slack waits three seconds; keep room for API Gateway and the network.
TIME_LIMIT_SECONDS = 2.5
_EVENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")


@dataclass(frozen=True)
class Click:
    team_id: str
    user_id: str
    answer: Answer
    event_id: str
    response_url: str


@dataclass(frozen=True)
class Outcome:
    status: str
    reply: str = ""  # the ephemeral text for the clicker; empty: nothing to say


def _payload(form: Mapping[str, str]) -> dict[str, Any] | str:
    """The `payload` field's JSON object, or why it is not one (for the log)."""
    try:
        payload = json.loads(form.get("payload", ""))
    except ValueError:
        return "payload is not JSON"
    return payload if isinstance(payload, dict) else "payload is not an object"


def payload_team(form: Mapping[str, str]) -> str:
    """Interactions name the workspace inside their JSON payload; none: not allowed."""
    payload = _payload(form)
    team = payload.get("team") if isinstance(payload, dict) else None
    return str(team.get("id", "")).strip() if isinstance(team, dict) else ""


def parse_click(form: Mapping[str, str]) -> Click | str:
    """The click, or why it is not one (for the log)."""
    payload = _payload(form)
    if isinstance(payload, str):
        return payload
    if payload.get("type") != "block_actions":
        return f"payload type {str(payload.get('type'))[:40]!r} not handled"
    actions = payload.get("actions")
    ours = [
        action
        for action in (actions if isinstance(actions, list) else [])
        if isinstance(action, dict) and action.get("action_id") in ACTIONS
    ]
    if not ours:
        return "no was-this-you action"
    team, user = payload.get("team"), payload.get("user")
    team_id = str(team.get("id", "")) if isinstance(team, dict) else ""
    user_id = str(user.get("id", "")) if isinstance(user, dict) else ""
    response_url = payload.get("response_url")
    return Click(
        team_id=team_id,
        user_id=user_id,
        answer=ACTIONS[ours[0]["action_id"]],
        event_id=str(ours[0].get("value", "")),
        response_url=response_url if isinstance(response_url, str) else "",
    )


# The gate's steps (size, base64, signature, time, ssl_check, workspace) for this route.
INTERACTIONS = SlackRoute(max_body_bytes=MAX_BODY_BYTES, team_of=payload_team)


class Interactions:
    def __init__(
        self,
        *,
        settings: Callable[[], Settings],
        verifier: Callable[[], RequestVerifier],
        reads: Callable[[], SigninReads],
        writes: Callable[[], SigninWrites],
        slack: Callable[[], SlackApi | None],
        notifier: Callable[[], SlackNotifier],
        escalations: Callable[[], Escalations],
        tally: Callable[[], DayTally],
        clock: Clock,
        calls: InvocationDeadline | None = None,
        other_clicks: Callable[[dict[str, Any]], str | None] | None = None,
    ) -> None:
        # Factories: a broken setting is a logged refusal, not a 500.
        self._settings = settings
        # Clicks of other surfaces (the App Home's query buttons): their outcome, or None
        # when the payload is not theirs.
        self._other_clicks = other_clicks
        self._gate = SlackGate(
            INTERACTIONS, verifier=verifier, team_ids=lambda: frozenset(settings().slack_team_ids)
        )
        self._reads = reads
        self._writes = writes
        self._slack = slack
        self._notifier = notifier
        self._escalations = escalations
        self._tally = tally
        self._clock = clock
        self._calls = calls or InvocationDeadline()  # what the AWS clients fit into

    def handle(self, request: Any) -> Response:
        started = time.monotonic()  # for the log's elapsed time
        deadline = self._calls.start_within(TIME_LIMIT_SECONDS)
        verdict = self._gate.check(Incoming.from_request(request))
        if isinstance(verdict, Stopped):
            why = f": {verdict.reason}" if verdict.reason else ""
            self._log(Outcome(verdict.stop.outcome + why), started)
            return verdict.response()

        click = parse_click(verdict.form)
        if isinstance(click, str):
            self._log(Outcome(self._other_click(verdict.form) or "ignored", click), started)
            return Response(body="", status_code=200)
        try:
            outcome = self._answer(click, deadline=deadline)
        except Exception as error:  # DynamoDB down, a bug: logged, never a 500 to Slack
            outcome = Outcome(
                f"error: {type(error).__name__}",
                ":hourglass: Your answer could not be recorded just now. Please try again.",
            )
        if outcome.reply:
            self._reply(click, outcome.reply)
        self._log(outcome, started, click)
        return Response(body="", status_code=200)

    def _other_click(self, form: Mapping[str, str]) -> str | None:
        payload = _payload(form)
        if self._other_clicks is None or isinstance(payload, str):
            return None
        try:
            return self._other_clicks(payload)
        except Exception as error:  # logged, never a 500 to Slack
            return f"error: {type(error).__name__}"

    def _answer(self, click: Click, *, deadline: float) -> Outcome:
        settings = self._settings()  # the workspace was the gate's step
        if not settings.confirm_enabled:
            return Outcome("disabled", "These questions are switched off.")
        if not _EVENT_ID.match(click.event_id) or not _USER_ID.match(click.user_id):
            return Outcome("malformed", "I could not find that sign-in.")
        record = self._reads().read(click.event_id)
        asked = record.question if record is not None else QuestionState()
        if record is None or asked.state is ConfirmState.NOT_ASKED or not asked.user_id:
            return Outcome("unknown", "I could not find a question about that sign-in.")
        if click.user_id != asked.user_id:
            return Outcome("wrong_user", f"Only <@{asked.user_id}> can answer this.")
        if not asked.answerable:
            return Outcome("already_answered", _already(record))
        now = self._clock()
        new = click.answer.state
        if not self._writes().answered(click.event_id, new, user_id=click.user_id, at=now):
            latest = self._reads().read(click.event_id)  # a second click won the race
            return Outcome("already_answered", _already(latest) if latest else "")
        denied = click.answer is Answer.NOT_ME
        count(self._tally(), record.event_time.date(), "denied" if denied else "confirmed")
        notifier = self._notifier()
        if denied:
            escalated = self._escalations().escalate(click.event_id, deadline=deadline)
            status = "denied" if escalated else "denied, escalation left to the sweep"
        else:
            note = answer_note(
                ConfirmState.CONFIRMED,
                asked.user_id,
                minutes=minutes_between(asked.asked_at, now),
            )
            update_alert(notifier, asked.alert, note, deadline)
            status = "confirmed"
        self._thank(notifier, record, click.answer, deadline)
        return Outcome(status)

    def _thank(
        self, notifier: SlackNotifier, record: SigninRecord, answer: Answer, deadline: float
    ) -> None:
        asked = record.question
        if not asked.dm_channel or not asked.dm_ts:
            return
        try:
            notifier.update(
                thanks_message(answer, record.signin),
                channel=asked.dm_channel,
                ts=asked.dm_ts,
                deadline=notifier.deadline_within(1.5, deadline),
            )
        except Exception as error:  # recorded already; the old DM keeps its buttons
            logs.emit({"message": "confirm: DM not replaced", "error": str(error)[:200]})

    def _reply(self, click: Click, text: str) -> None:
        try:
            slack = self._slack()
            if slack is not None and click.response_url:
                slack.respond(click.response_url, text)
        except Exception as error:
            logs.emit({"message": "confirm: reply not sent", "error": repr(error)[:300]})

    def _log(self, outcome: Outcome, started: float, click: Click | None = None) -> None:
        # Never the response_url: it is a bearer capability.
        fields: dict[str, Any] = {
            "message": "interactions",
            "outcome": outcome.status,
            "elapsed_ms": round((time.monotonic() - started) * 1000),
        }
        if click is not None:
            fields.update(
                team_id=click.team_id[:32],
                user_id=click.user_id[:32],
                answer=click.answer.value,
                event_id=click.event_id[:128],
            )
        logs.emit(fields)


def _already(record: SigninRecord) -> str:
    state = record.question.state
    word = {
        ConfirmState.CONFIRMED: "confirmed",
        ConfirmState.DENIED: "reported as not you",
        ConfirmState.FAILED: "not asked",
    }.get(state, state.value)
    return f"This sign-in was already answered: {word}. Nothing changed."
