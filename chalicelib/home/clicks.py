"""The Home tab's query buttons, through `POST /slack/interactions`: the button's value is
a `/recent-logins` command (`failed 24h`), run for the person who clicked under the same
allow-lists, its answer published below the buttons of the view Slack sent with the
click. A Home tab click carries no `response_url`: the tab itself is the answer."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from chalicelib.home.view import QUERY_ACTION_PREFIX, with_result
from chalicelib.recent_logins.access import Access, Caller
from chalicelib.recent_logins.command import BadCommand, parse_command
from chalicelib.recent_logins.history import SigninHistory
from chalicelib.recent_logins.replies import recent_reply, unavailable_reply, usage_reply
from chalicelib.settings import Settings
from chalicelib.slack.web_surfaces import SlackSurfaces


def home_access(settings: Settings) -> Access:
    """`/recent-logins`' allow-lists. The Home tab is in no channel: with a channel
    allow-list set, nobody sees sign-ins there."""
    return Access(
        user_ids=frozenset(settings.slack_allowed_user_ids),
        channel_ids=frozenset(settings.slack_allowed_channel_ids),
    )


def _query_of(payload: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """(team, user, command text) of a Home tab query button, else None."""
    view = payload.get("view")
    if payload.get("type") != "block_actions" or not isinstance(view, dict):
        return None
    if view.get("type") != "home":
        return None
    actions = payload.get("actions")
    ours = [
        action
        for action in (actions if isinstance(actions, list) else [])
        if isinstance(action, dict)
        and str(action.get("action_id", "")).startswith(QUERY_ACTION_PREFIX)
    ]
    team, user = payload.get("team"), payload.get("user")
    if not ours or not isinstance(team, dict) or not isinstance(user, dict):
        return None
    return str(team.get("id", "")), str(user.get("id", "")), str(ours[0].get("value", ""))[:200]


class HomeClicks:
    def __init__(
        self,
        *,
        settings: Callable[[], Settings],
        history: Callable[[], SigninHistory],
        surfaces: Callable[[], SlackSurfaces | None],
        clock: Callable[[], datetime],
    ) -> None:
        self._settings = settings
        self._history = history
        self._surfaces = surfaces
        self._clock = clock

    def __call__(self, payload: dict[str, Any]) -> str | None:
        """The outcome for the log; None when the payload is not a Home query button."""
        query = _query_of(payload)
        if query is None:
            return None
        team_id, user_id, text = query
        settings = self._settings()  # the workspace was the gate's step
        refused = home_access(settings).refusal(Caller(team_id, user_id, ""))
        if refused:
            return f"home query not allowed: {refused}"
        surfaces = self._surfaces()
        if surfaces is None:
            return "home query: no bot token"
        try:
            command = parse_command(text, settings)
            reply = recent_reply(
                command, self._history().recent(command.to_query(self._clock())), settings
            )
        except BadCommand as bad:
            reply = usage_reply(bad)
        except Exception:  # the ledger unreadable: say so in the tab
            reply = unavailable_reply()
        view = with_result(payload["view"], reply.get("blocks", []))
        surfaces.publish_home(user_id, view)
        return f"home query {text!r} published"
