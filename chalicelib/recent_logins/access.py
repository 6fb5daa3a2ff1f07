"""Who may use `/recent-logins`: the user and channel allow-lists (the workspace is
checked by the Slack gate, for every route)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Caller:
    team_id: str
    user_id: str
    channel_id: str

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> Caller:
        return cls(
            form.get("team_id", "").strip(),
            form.get("user_id", "").strip(),
            form.get("channel_id", "").strip(),
        )


@dataclass(frozen=True)
class Access:
    """Who, within an allowed workspace, may see sign-ins: optionally users, channels."""

    user_ids: frozenset[str] = field(default_factory=frozenset)
    channel_ids: frozenset[str] = field(default_factory=frozenset)

    def refusal(self, caller: Caller) -> str | None:
        """Why the caller may not see sign-ins, for the log; None when they may."""
        if self.user_ids and caller.user_id not in self.user_ids:
            return "user not allowed"
        if self.channel_ids and caller.channel_id not in self.channel_ids:
            return "channel not allowed"
        return None


# --- replies -------------------------------------------------------------------------
