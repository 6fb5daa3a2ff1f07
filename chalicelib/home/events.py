"""`POST /slack/events`: the Events API's way in, for the App Home tab.

Through the Slack gate's first steps (size, base64, v0 signature, five minutes; the body
is JSON, so the workspace is read here and checked by the gate's workspace step; an
`ssl_check` probe is answered as on every Slack route), then:
`url_verification` gets its challenge back (signed, names no workspace); an
`app_home_opened` of the Home tab by a member `/recent-logins` would answer gets the week
published for them with `views.publish`, once per `event_id` however often Slack retries
(`X-Slack-Retry-Num`); anyone else sees nothing. Every other event is acknowledged.
A publish that fails gives its mark back and answers 500, so Slack's retry publishes.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from chalice.app import Response

from chalicelib import logs
from chalicelib.aws_clients import InvocationDeadline
from chalicelib.home.clicks import home_access
from chalicelib.home.reads import HomeReads
from chalicelib.home.view import home_view
from chalicelib.recent_logins.access import Caller
from chalicelib.recent_logins.replies import entry_line
from chalicelib.settings import Settings
from chalicelib.slack.gate import Incoming, SlackGate, SlackRoute, Stopped, form_team
from chalicelib.slack.verify import RequestVerifier
from chalicelib.slack.web_surfaces import SlackSurfaces
from chalicelib.store.slack_events import SlackEventMarks

# An event callback is a few KB; a Home view is published, never received.
MAX_BODY_BYTES = 65_536
ANSWER_WITHIN_SECONDS = 2.5  # Slack waits three seconds, then retries
EVENTS = SlackRoute(max_body_bytes=MAX_BODY_BYTES, team_of=form_team)
_EVENT_ID = re.compile(r"^Ev[A-Za-z0-9]{4,40}$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")
RETRY_HEADER = "x-slack-retry-num"


@dataclass(frozen=True)
class EventOutcome:
    status: str
    reason: str = ""


def _ok(body: str = "", content_type: str = "text/plain") -> Response:
    headers: dict[str, str | list[str]] = {"Content-Type": content_type} if body else {}
    return Response(body=body, status_code=200, headers=headers)


class SlackEvents:
    def __init__(
        self,
        *,
        settings: Callable[[], Settings],
        verifier: Callable[[], RequestVerifier],
        reads: Callable[[], HomeReads],
        marks: Callable[[], SlackEventMarks],
        surfaces: Callable[[], SlackSurfaces | None],
        clock: Callable[[], datetime],
        calls: InvocationDeadline | None = None,
    ) -> None:
        self._settings = settings
        self._gate = SlackGate(
            EVENTS, verifier=verifier, team_ids=lambda: frozenset(settings().slack_team_ids)
        )
        self._reads = reads
        self._marks = marks
        self._surfaces = surfaces
        self._clock = clock
        self._calls = calls or InvocationDeadline()

    def handle(self, request: Any) -> Response:
        started = time.monotonic()  # for the log's elapsed time
        self._calls.start_within(ANSWER_WITHIN_SECONDS)
        incoming = Incoming.from_request(request)
        retry = next((v for k, v in incoming.headers.items() if k.lower() == RETRY_HEADER), "")
        body = self._gate.signed_body(incoming)
        if isinstance(body, Stopped):
            self._log(EventOutcome(body.stop.outcome, body.reason), started, retry)
            return body.response()
        if parse_qs(body.decode()).get("ssl_check") == ["1"]:  # as every Slack route does
            self._log(EventOutcome("ssl_check"), started, retry)
            return _ok()
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            self._log(EventOutcome("bad_request", "body is not a JSON object"), started, retry)
            return Response(body="Bad Request", status_code=400)
        if payload.get("type") == "url_verification":
            challenge = str(payload.get("challenge", ""))[:200]
            self._log(EventOutcome("url_verification"), started, retry)
            return _ok(json.dumps({"challenge": challenge}), "application/json")
        refused = self._gate.team_refusal(str(payload.get("team_id", "")).strip())
        if refused:
            self._log(EventOutcome(refused.stop.outcome, refused.reason), started, retry)
            return refused.response()
        outcome, response = self._event(payload)
        self._log(outcome, started, retry)
        return response

    def _event(self, payload: dict[str, Any]) -> tuple[EventOutcome, Response]:
        event = payload.get("event")
        if payload.get("type") != "event_callback" or not isinstance(event, dict):
            return EventOutcome("ignored", f"type {str(payload.get('type'))[:40]!r}"), _ok()
        if event.get("type") != "app_home_opened" or event.get("tab") != "home":
            return EventOutcome("ignored", f"event {str(event.get('type'))[:40]!r}"), _ok()
        user_id, event_id = str(event.get("user", "")), str(payload.get("event_id", ""))
        if not _USER_ID.match(user_id) or not _EVENT_ID.match(event_id):
            return EventOutcome("malformed", "user or event_id"), _ok()
        settings = self._settings()
        refused = home_access(settings).refusal(Caller(str(payload["team_id"]), user_id, ""))
        if refused:
            return EventOutcome("not_allowed", refused), _ok()
        surfaces = self._surfaces()
        if surfaces is None:
            return EventOutcome("no_bot_token"), _ok()
        marks = self._marks()
        if not marks.claim(event_id, self._clock()):
            return EventOutcome("duplicate", event_id), _ok()
        try:
            data = self._reads().for_viewer(user_id)
            root = entry_line(data.last_root, settings) if data.last_root else None
            surfaces.publish_home(user_id, home_view(data, settings, root))
        except Exception as error:  # let Slack's retry publish it
            marks.release(event_id)
            reason = str(error)[:200] if error.args else type(error).__name__
            return EventOutcome("failed", reason), Response(body="", status_code=500)
        return EventOutcome("published", event_id), _ok()

    def _log(self, outcome: EventOutcome, started: float, retry: str) -> None:
        logs.emit(
            {
                "message": "slack_events",
                "outcome": outcome.status,
                "reason": outcome.reason,
                "retry_num": retry[:4],
                "elapsed_ms": round((time.monotonic() - started) * 1000),
            }
        )
