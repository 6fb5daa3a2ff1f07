"""A real HTTP server on 127.0.0.1 that plays Slack.

It records every request and answers as scripted: `ok`, a status with Slack's plain
text reason, 429 with Retry-After, or a hang. It can also enforce Slack's rate limit
(one message per second per channel, a small burst allowed) the way Slack does;
chat.update has its own, looser per-method limit, as in Slack.
Serves both the incoming-webhook path and the Web API's chat.postMessage/chat.update,
and what "Was this you?" uses: conversations.open, chat.postMessage to a user or DM,
users.lookupByEmail (from `users_by_email`) and interaction `response_url`s; and
auth.test (ok, or `auth_error` such as `invalid_auth`); file uploads and views.publish
(`files`, localdev/slack_files.py).

A reply can `drop` the connection after the message is taken, as when Slack closes it
mid-response; conversations.history answers from the messages taken (`oldest`,
`latest`, their `metadata`), so a poster can look for what it may have posted. Its
reads are kept in `history_reads`, apart from `requests`, and take no scripted reply.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from localdev.slack_files import SinkFiles

WEBHOOK_PATH = "/services/T000/B000/XXXX"


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: str = "ok"
    retry_after: float | None = None
    hang_seconds: float = 0.0
    api_error: str = ""  # Web API: answer {"ok": false, "error": api_error}
    # Read the request, take the message, then close the connection without a word:
    # the poster cannot tell whether Slack has it (it does).
    drop: bool = False


OK = Reply()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float
    status: int
    ok: bool
    ts: str = ""  # the message's ts, as Slack would give it

    @property
    def json(self) -> Any:
        if self.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}
        return json.loads(self.body or b"{}")


@dataclass
class RateLimit:
    per_second: float = 1.0
    burst: int = 1
    retry_after: float = 1.0
    _tokens: float = 0.0
    _last: float | None = None

    def __post_init__(self) -> None:
        self._tokens = float(self.burst)

    def take(self, now: float) -> bool:
        """`now` on the sink's clock (a `time.monotonic()` value)."""
        if self._last is not None:
            refill = (now - self._last) * self.per_second
            self._tokens = min(float(self.burst), self._tokens + refill)
        self._last = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False


def tier3() -> RateLimit:
    """Slack's Tier 3 methods (chat.update): about 50 a minute, bursts allowed."""
    return RateLimit(per_second=50 / 60, burst=20)


class SlackSink:
    def __init__(
        self,
        rate_limit: RateLimit | None = None,
        update_rate_limit: RateLimit | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        # Rate limits and `Received.at` read this clock: give it the app's (tests move
        # time with localdev.fast_forward instead of waiting). Message ts come from
        # `wall_clock`, which conversations.history's window is compared with.
        self._clock = clock
        self._wall_clock = wall_clock
        self.requests: list[Received] = []
        self.script: deque[Reply] = deque()
        # New messages (webhook, chat.postMessage): Slack's one a second per channel.
        self.rate_limit = rate_limit
        # chat.update is limited per method, not per channel message.
        self.update_rate_limit = update_rate_limit or tier3()
        self._lock = threading.Lock()
        self._ts = 0
        # users.lookupByEmail answers from here: e-mail -> Slack user ID.
        self.users_by_email: dict[str, str] = {}
        # auth.test (the watchdog's token check): "" answers ok, else {"ok": false,
        # "error": auth_error}, e.g. "invalid_auth" for a revoked token. Its requests are
        # kept apart from `requests`, so they never count as messages.
        self.auth_error = ""
        self.auth_checks: list[Received] = []
        # conversations.history reads (a poster looking for an earlier post), and
        # what they answer: "" the messages, else {"ok": false, "error": history_error}
        # (`missing_scope` is permanent, `internal_error` worth another try).
        self.history_reads: list[Received] = []
        self.history_error = ""
        # File uploads (files_upload_v2's three steps) and views.publish: slack_files.py.
        self.files = SinkFiles()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                sink._answer(self, body)

            def do_GET(self) -> None:  # slack_sdk sends users.lookupByEmail as a GET
                path, _, query = self.path.partition("?")
                self.path = path
                sink._answer(self, query.encode(), form=True)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # `stop` waits for the serving loop to notice: poll often so that it is quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    # -- lifecycle -------------------------------------------------------------
    def start(self) -> SlackSink:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> SlackSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}"

    @property
    def webhook_url(self) -> str:
        return self.base_url + WEBHOOK_PATH

    @property
    def api_url(self) -> str:
        return self.base_url + "/api/"

    # -- scripting and inspection -----------------------------------------------
    def then(self, *replies: Reply) -> SlackSink:
        self.script.extend(replies)
        return self

    @property
    def delivered(self) -> list[Received]:
        return [r for r in self.requests if r.ok]

    @property
    def messages(self) -> list[Any]:
        return [r.json for r in self.delivered]

    def count(self, status: int) -> int:
        return sum(1 for r in self.requests if r.status == status)

    # -- the answer -------------------------------------------------------------
    def _api_ok(self, path: str, body: bytes, ts: str) -> dict[str, Any]:
        """What Slack answers a successful Web API call, per method."""
        try:
            params: dict[str, Any] = json.loads(body or b"{}")
        except ValueError:
            params = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        method = path.rsplit("/", 1)[-1]
        if method == "conversations.open":
            user = str(params.get("users", "U0")).split(",")[0]
            return {"ok": True, "channel": {"id": "D" + user[1:]}}
        if method == "users.lookupByEmail":
            user_id = self.users_by_email.get(str(params.get("email", "")).lower())
            if user_id is None:
                return {"ok": False, "error": "users_not_found"}
            return {"ok": True, "user": {"id": user_id, "deleted": False, "is_bot": False}}
        channel = str(params.get("channel", ""))
        if method == "chat.update":
            return {"ok": True, "ts": params.get("ts", ts), "channel": channel}
        if channel[:1] in ("D", "U"):  # a DM: Slack answers with the IM channel
            return {"ok": True, "ts": ts, "channel": "D" + channel[1:]}
        return {"ok": True, "ts": ts, "channel": "C0SINK"}

    def _answer(self, handler: BaseHTTPRequestHandler, body: bytes, form: bool = False) -> None:
        if self.files.handles(handler.path):
            content_type = handler.headers.get("content-type", "")
            answer = self.files.answer(handler.path, body, content_type, self.base_url)
            if isinstance(answer, dict):
                _send_json(handler, answer)
            else:
                _send_text(handler, 404 if answer is None else 200, answer or "not found")
            return
        if handler.path.endswith("/auth.test"):
            self._answer_auth_test(handler, body)
            return
        if handler.path.endswith("/conversations.history"):
            self._answer_history(handler, body)
            return
        with self._lock:
            reply = self.script.popleft() if self.script else OK
            limit = (
                self.update_rate_limit if handler.path.endswith("chat.update") else self.rate_limit
            )
            now = self._clock()
            if reply == OK and limit is not None and not limit.take(now):
                reply = Reply(429, "rate_limited", retry_after=limit.retry_after)
            self._ts += 1
            ts = f"{int(self._wall_clock())}.{self._ts:06d}"
            headers = {k.lower(): v for k, v in handler.headers.items()}
            if form:
                headers["content-type"] = "application/x-www-form-urlencoded"
            self.requests.append(
                Received(
                    handler.path,
                    headers,
                    body,
                    now,
                    reply.status,
                    reply.status == 200 and not reply.api_error,
                    ts,
                )
            )
        if reply.hang_seconds:
            time.sleep(reply.hang_seconds)
        if reply.drop:
            # Taken, never answered: the client sees the connection close.
            handler.close_connection = True
            return
        api = handler.path.startswith("/api/")
        if api:
            if reply.status == 200 and not reply.api_error:
                payload: dict[str, Any] = self._api_ok(handler.path, body, ts)
            else:
                payload = {"ok": False, "error": reply.api_error or reply.body}
            text = json.dumps(payload)
            content_type = "application/json; charset=utf-8"
        else:
            text = reply.body
            content_type = "text/plain; charset=utf-8"
        data = text.encode()
        try:
            handler.send_response(reply.status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(data)))
            if reply.retry_after is not None:
                handler.send_header("Retry-After", f"{reply.retry_after:g}")
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up on a hang
            pass

    def _history(self, params: dict[str, str]) -> dict[str, Any]:
        """conversations.history from the messages taken in the channel, newest first."""
        channel = params.get("channel", "")
        oldest = float(params.get("oldest") or 0)
        latest = float(params.get("latest") or "inf")
        with_metadata = params.get("include_all_metadata", "").lower() in ("1", "true")
        found = []
        with self._lock:
            taken = list(self.delivered)
        for request in reversed(taken):
            if not request.path.endswith("/chat.postMessage") or not request.ts:
                continue
            message = request.json
            if str(message.get("channel", "")) not in (channel, "") and channel != "C0SINK":
                continue
            if message.get("thread_ts") or not oldest <= float(request.ts) <= latest:
                continue
            entry: dict[str, Any] = {"type": "message", "ts": request.ts}
            entry["text"] = message.get("text", "")
            metadata = message.get("metadata")
            if isinstance(metadata, str):  # a form-encoded post
                metadata = json.loads(metadata)
            if with_metadata and metadata:
                entry["metadata"] = metadata
            found.append(entry)
        return {"ok": True, "messages": found, "has_more": False}

    def _answer_history(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        params = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        headers = {k.lower(): v for k, v in handler.headers.items()}
        with self._lock:
            self.history_reads.append(
                Received(handler.path, headers, body, self._clock(), 200, True)
            )
        payload = (
            {"ok": False, "error": self.history_error}
            if self.history_error
            else self._history(params)
        )
        _send_json(handler, payload)

    def _answer_auth_test(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        headers = {k.lower(): v for k, v in handler.headers.items()}
        ok = not self.auth_error and headers.get("authorization", "").startswith("Bearer ")
        with self._lock:
            self.auth_checks.append(Received(handler.path, headers, body, self._clock(), 200, ok))
        payload: dict[str, Any] = (
            {"ok": True, "team": "sink", "team_id": "T0SINK", "user_id": "U0BOT", "bot_id": "B0"}
            if ok
            else {"ok": False, "error": self.auth_error or "not_authed"}
        )
        _send_json(handler, payload)


def _send_json(handler: BaseHTTPRequestHandler, payload: dict[str, Any]) -> None:
    """A Web API answer that always succeeds at the HTTP level, as Slack's do."""
    data = json.dumps(payload).encode()
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json; charset=utf-8")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def _send_text(handler: BaseHTTPRequestHandler, status: int, text: str) -> None:
    data = text.encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "text/plain; charset=utf-8")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)
