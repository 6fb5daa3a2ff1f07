"""A question's state on the sign-in's own ledger item: every change one conditional
UpdateItem, so a replayed click, a Lambda retry or two sweeps at once change it once.

    (none) --ask--> asked --was me--> confirmed
                      |  \\--not me--> denied --(escalation posted)--> denied, done
                      \\--due, claimed by one sweep--> unanswered --(posted)--> done
    unanswered --late answer--> confirmed | denied

While an escalation may still be due (asked, or denied but not yet posted) the item
carries `confirm_queue`/`confirm_due`, the keys of the sparse `confirm_pending` index.
An escalation is claimed with a lease (`confirm_lease`) before it is posted: exactly one
sweep posts it, and one that crashed mid-post is retried after the lease.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from chalicelib.store.indexes import PENDING_QUEUE_ATTRIBUTE


class ConfirmState(StrEnum):
    NOT_ASKED = "not_asked"  # no item attribute: the default
    ASKED = "asked"
    CONFIRMED = "confirmed"
    DENIED = "denied"
    UNANSWERED = "unanswered"  # no answer in time: escalated
    FAILED = "failed"  # the question could not be sent


ANSWERABLE = (ConfirmState.ASKED, ConfirmState.UNANSWERED)


class Answer(StrEnum):
    WAS_ME = "was_me"
    NOT_ME = "not_me"


@dataclass(frozen=True)
class AlertRef:
    """The channel alert a question belongs to, to update it in place."""

    channel: str
    ts: str
    text: str
    blocks: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class AskedSignin:
    """An event item as the answer and the sweep read it."""

    event_id: str
    state: ConfirmState
    user_id: str
    asked_at: datetime | None
    dm_channel: str
    dm_ts: str
    alert: AlertRef | None
    answered_by: str
    answered_at: datetime | None
    queued: bool
    signin: Mapping[str, str]  # the sign-in's own attributes (event-derived text)

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> AskedSignin:
        def text(name: str) -> str:
            value = item.get(name, {}).get("S", "")
            return value if isinstance(value, str) else ""

        alert = None
        if text("confirm_alert_ts"):
            try:
                blocks = tuple(json.loads(text("confirm_alert_blocks") or "[]"))
            except ValueError:
                blocks = ()
            alert = AlertRef(
                text("confirm_alert_channel"),
                text("confirm_alert_ts"),
                text("confirm_alert_text"),
                blocks,
            )
        try:
            state = ConfirmState(text("confirm_state") or ConfirmState.NOT_ASKED)
        except ValueError:
            state = ConfirmState.NOT_ASKED
        return cls(
            event_id=text("event_id"),
            state=state,
            user_id=text("confirm_user"),
            asked_at=_time(text("confirm_asked_at")),
            dm_channel=text("confirm_dm_channel"),
            dm_ts=text("confirm_dm_ts"),
            alert=alert,
            answered_by=text("confirm_answered_by"),
            answered_at=_time(text("confirm_answered_at")),
            queued=PENDING_QUEUE_ATTRIBUTE in item,
            signin={
                name: text(name)
                for name in (
                    "event_time",
                    "account_id",
                    "region",
                    "principal_type",
                    "display_name",
                    "arn",
                    "role_name",
                    "source_ip",
                    "mfa",
                    "federation",
                    "severity",
                    "title",
                )
            },
        )

    @property
    def event_time(self) -> datetime:
        return _time(self.signin.get("event_time", "")) or datetime.fromtimestamp(0, UTC)


def _time(raw: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def due_key(moment: datetime, event_id: str) -> str:
    return f"{max(0, int(moment.timestamp())):010d}#{event_id}"
