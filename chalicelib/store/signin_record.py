"""One sign-in's item (`EVENT#<eventID>`) as a value: the two state machines it carries
and which transitions each state allows. Read from any item this table ever held, so
an item written by an earlier version reads the same; the writes that move the states
are in `signin_writes.py`, each conditional on what this value says.

The alert (`alert_status`, `lease_until`, `claim_id`): exactly-once posting.

    (commit) --alerting--> delivering --posted--> sent
        |                    |  ^  \\--post failed, claim given back--> pending
        |                    |  \\--lease expired (holder died): taken over--/ |
        \\--quiet--> not_alerted   \\------------- taken over <----------------/

The question (`confirm_state`, `confirm_lease`): "Was this you?".

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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from chalicelib.store.attributes import read_number
from chalicelib.store.indexes import PENDING_QUEUE_ATTRIBUTE, QUESTION_ATTRIBUTES
from chalicelib.store.schema import RECEIVED_AT_ATTRIBUTE


class AlertStatus(StrEnum):
    PENDING = "pending"
    DELIVERING = "delivering"
    SENT = "sent"
    NOT_ALERTED = "not_alerted"


class ConfirmState(StrEnum):
    NOT_ASKED = "not_asked"  # no item attribute: the default
    ASKED = "asked"
    CONFIRMED = "confirmed"
    DENIED = "denied"
    UNANSWERED = "unanswered"  # no answer in time: escalated
    FAILED = "failed"  # the question could not be sent


ANSWERABLE = (ConfirmState.ASKED, ConfirmState.UNANSWERED)
# The states whose escalation a sweep may still owe while the item is queued.
ESCALATING = (ConfirmState.ASKED, ConfirmState.UNANSWERED, ConfirmState.DENIED)


@dataclass(frozen=True)
class Claim:
    """One invocation's right to post an alert, until `until` (epoch seconds)."""

    id: str
    until: float


@dataclass(frozen=True)
class AlertRef:
    """The channel alert a question belongs to, to update it in place."""

    channel: str
    ts: str
    text: str
    blocks: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class AlertState:
    """The alert's state machine: who may post it, and what to post."""

    status: AlertStatus
    lease_until: float = 0.0
    claim_id: str = ""
    message: Mapping[str, Any] | None = None
    channel: str | None = None
    ask_user: str = ""  # as stored; `SigninRecord.ask_user` says whether to ask
    recorded_at: float = 0.0  # the commit's wall-clock time: posts are looked up after it

    @property
    def settled(self) -> bool:
        """Nothing left to post: a later invocation is a duplicate."""
        return self.status in (AlertStatus.SENT, AlertStatus.NOT_ALERTED)

    def held_by(self, claim: Claim) -> bool:
        """Our own claim (our commit went through although its answer was lost)."""
        return self.status is AlertStatus.DELIVERING and self.claim_id == claim.id

    def open_at(self, now: float) -> bool:
        """Free to take over: given back, or its holder's lease ran out (the take-over's
        condition; the write decides, this says what it will find)."""
        return self.status is AlertStatus.PENDING or (
            self.status is AlertStatus.DELIVERING and self.lease_until < now
        )


@dataclass(frozen=True)
class QuestionState:
    """The question's state machine, and what it needs to answer and escalate."""

    state: ConfirmState = ConfirmState.NOT_ASKED
    recorded: bool = False  # the item has a `confirm_state`, readable or not
    user_id: str = ""
    asked_at: datetime | None = None
    dm_channel: str = ""
    dm_ts: str = ""
    alert: AlertRef | None = None
    answered_by: str = ""
    answered_at: datetime | None = None
    queued: bool = False  # in the `confirm_pending` index: an escalation may be owed
    lease: str = ""  # an escalation's claim (ISO time), compared as stored

    @property
    def answerable(self) -> bool:
        return self.state in ANSWERABLE

    @property
    def escalating(self) -> bool:
        """An escalation may be owed: the sweep reads it again and claims it."""
        return self.queued and self.state in ESCALATING

    @property
    def after_claim(self) -> ConfirmState:
        """The state an escalation's claim moves to: a denial stays one, silence is
        `unanswered` from the moment a sweep claims it."""
        return ConfirmState.DENIED if self.state is ConfirmState.DENIED else ConfirmState.UNANSWERED

    def lease_free(self, now: datetime) -> bool:
        return not self.lease or self.lease < now.isoformat()


@dataclass(frozen=True)
class SigninRecord:
    """A sign-in's item: its alert, its question and the words a message quotes."""

    event_id: str
    severity: str
    alert: AlertState
    question: QuestionState
    signin: Mapping[str, str]  # the sign-in's own attributes (event-derived text)

    @classmethod
    def of(cls, item: Mapping[str, Any]) -> SigninRecord:
        """Any item of this family, also one projected to a few attributes or written
        by an earlier version: what is missing or unreadable reads as its default."""

        def text(name: str) -> str:
            value = item.get(name, {}).get("S", "")
            return value if isinstance(value, str) else ""

        try:
            status = AlertStatus(text("alert_status"))
        except ValueError:
            status = AlertStatus.PENDING  # unreadable: let a claim decide
        try:
            message = json.loads(item["message"]["S"])
        except (KeyError, TypeError, ValueError):
            message = None
        alert = AlertState(
            status,
            read_number(item, "lease_until"),
            text("claim_id"),
            message if isinstance(message, dict) else None,
            text("channel") or None,
            text("ask_user"),
            read_number(item, "recorded_at"),
        )
        try:
            state = ConfirmState(text("confirm_state") or ConfirmState.NOT_ASKED)
        except ValueError:
            state = ConfirmState.NOT_ASKED
        question = QuestionState(
            state=state,
            recorded="confirm_state" in item,
            user_id=text("confirm_user"),
            asked_at=_time(text("confirm_asked_at")),
            dm_channel=text("confirm_dm_channel"),
            dm_ts=text("confirm_dm_ts"),
            alert=_alert_ref(text) if text("confirm_alert_ts") else None,
            answered_by=text("confirm_answered_by"),
            answered_at=_time(text("confirm_answered_at")),
            queued=PENDING_QUEUE_ATTRIBUTE in item,
            lease=text("confirm_lease"),
        )
        signin = {name: text(name) for name in QUESTION_ATTRIBUTES}
        return cls(text("event_id"), text("severity"), alert, question, signin)

    @property
    def ask_user(self) -> str:
        """Whom a take-over asks: the alert's user, unless a question was recorded
        already (a crash before the "sent" mark): nobody is asked twice."""
        return "" if self.question.recorded else self.alert.ask_user

    @property
    def event_time(self) -> datetime:
        return (
            _time(self.signin.get("event_time", ""))
            or _time(self.signin.get(RECEIVED_AT_ATTRIBUTE, ""))  # the record had no time
            or datetime.fromtimestamp(0, UTC)
        )


def _alert_ref(text: Callable[[str], str]) -> AlertRef:
    try:
        blocks = tuple(json.loads(text("confirm_alert_blocks") or "[]"))
    except ValueError:
        blocks = ()
    return AlertRef(
        text("confirm_alert_channel"),
        text("confirm_alert_ts"),
        text("confirm_alert_text"),
        blocks,
    )


def _time(raw: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
