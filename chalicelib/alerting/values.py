"""What the sign-in pipeline speaks: its steps, what happened to a sign-in, the alert it
posts and the hooks around the post (the question planned before it, the steps after).
Values only, so that a feature plugging into the pipeline (confirm/) imports these,
never the pipeline itself."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from chalicelib.alerting.decide import Plan
from chalicelib.signin.parse import SignIn
from chalicelib.slack.delivery import Delivered
from chalicelib.store.attributes import Write
from chalicelib.store.signin_record import AlertStatus, Claim


class Step(StrEnum):
    GATHER = "gather"
    DECIDE = "decide"
    COMMIT = "commit"
    DELIVER = "deliver"
    MARK_SENT = "mark_sent"


class ClaimHeld(Exception):
    """Another invocation is posting this alert now: retry later (Lambda does)."""


class CommitContended(Exception):
    """Every commit round lost a race: nothing was written; retry later."""


class Disposition(StrEnum):
    """What one invocation did with a sign-in (the handler's `outcome`, its log and
    metrics), apart from the alert's stored state (`AlertStatus`): `moved_to` relates them."""

    POSTED = "posted"
    NOT_ALERTED = "not_alerted"
    DUPLICATE = "duplicate"
    FAILED = "failed"

    @classmethod
    def moved_to(cls, status: AlertStatus) -> Disposition:
        """What an invocation that moves the alert to `status` reports (whether or not
        that last write landed: a post whose "sent" mark failed is still POSTED).

        Two enums, not one: DUPLICATE is no stored state (the invocation found the
        alert settled by another), `delivering` is no outcome (an invocation never
        ends holding the claim), and the stored values are the schema while these
        are the handler's interface."""
        if status not in _MOVED_TO:
            raise ValueError(f"{status.value}: an invocation does not end there")
        return _MOVED_TO[status]


_MOVED_TO = {
    AlertStatus.SENT: Disposition.POSTED,
    AlertStatus.NOT_ALERTED: Disposition.NOT_ALERTED,
    AlertStatus.PENDING: Disposition.FAILED,  # the claim given back
}


@dataclass(frozen=True)
class Handled:
    event_id: str
    severity: str
    outcome: Disposition
    attempts: int = 0
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "severity": self.severity,
            "outcome": self.outcome.value,
            "attempts": self.attempts,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Alert:
    """What to post and under which claim."""

    severity: str
    message: Mapping[str, Any]
    channel: str | None
    claim: Claim
    plan: Plan | None = None  # None when taking over an alert recorded earlier
    ask_user: str = ""  # the Slack user the alert says is asked "Was this you?"
    # Taking over: an earlier invocation may have posted it since this wall-clock time
    # (the commit), so the Web API looks for it before posting (slack/posted.py).
    posted_since: float | None = None


@dataclass(frozen=True)
class Question:
    """Who will be asked about a sign-in about to be alerted (an after-post step asks):
    `user_id` is empty when nobody can be, and `alert_blocks` is the alert's line that
    says so. Planned before the message is decided, so the message carries it."""

    user_id: str
    alert_blocks: tuple[dict[str, Any], ...]


class AfterPost(Protocol):
    """A step between deliver and mark sent (e.g. a direct message); its writes join
    the "sent" transaction. It must not raise for a posted alert's sake."""

    def __call__(
        self, signin: SignIn, alert: Alert, delivered: Delivered, *, deadline: float
    ) -> Sequence[Write]: ...
