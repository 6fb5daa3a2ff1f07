"""The sign-in ledger: one item per CloudTrail eventID (`EVENT#<id>`), both the history
`/recent-logins` reads and the alert's state, which makes alerting exactly-once in effect.

The item is written once, in the sign-in's commit, with its final verdict, the message
to post and its state: `delivering` (this invocation holds the claim until
`lease_until`), or `not_alerted`. Then `sent` once posted, or `pending` when a delivery
failed (the claim given back). A later invocation takes over a `pending` item, or a
`delivering` one whose lease expired (its holder died), and posts the stored message.

`/recent-logins` reads it through global secondary indexes, never a Scan (see
store/listing.py for the index attributes, store/day_tally.py for the day's counters,
store/directory.py for the principal directory, all written in the same commit).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from chalicelib.clock import Clock
from chalicelib.judge.places import Places
from chalicelib.judge.rules import Verdict
from chalicelib.signin.parse import SignIn
from chalicelib.store.day_tally import day_writes
from chalicelib.store.directory import transact_with_directory
from chalicelib.store.listing import signin_attributes
from chalicelib.store.schema import (
    DAY_SECONDS,
    TTL_ATTRIBUTE,
    Write,
    epoch_of,
    event_key,
    expires_at,
    number,
    read_number,
)

TRANSACTION_ATTEMPTS = 4


class AlertStatus(StrEnum):
    PENDING = "pending"
    DELIVERING = "delivering"
    SENT = "sent"
    NOT_ALERTED = "not_alerted"


@dataclass(frozen=True)
class Claim:
    """One invocation's right to post an alert, until `until` (epoch seconds)."""

    id: str
    until: float


@dataclass(frozen=True)
class StoredAlert:
    """What the ledger holds for an event that was already recorded."""

    status: AlertStatus
    lease_until: float = 0.0
    message: Mapping[str, Any] | None = None
    channel: str | None = None
    claim_id: str = ""
    severity: str = ""
    ask_user: str = ""
    recorded_at: float = 0.0  # the commit's wall-clock time

    @classmethod
    def of(cls, item: Mapping[str, Any]) -> StoredAlert:
        try:
            status = AlertStatus(item.get("alert_status", {}).get("S", ""))
        except ValueError:
            status = AlertStatus.PENDING  # unreadable: let a claim decide
        message = None
        try:
            message = json.loads(item["message"]["S"])
        except (KeyError, TypeError, ValueError):
            message = None
        return cls(
            status,
            read_number(item, "lease_until"),
            message if isinstance(message, dict) else None,
            item.get("channel", {}).get("S") or None,
            item.get("claim_id", {}).get("S", ""),
            item.get("severity", {}).get("S", ""),
            # Asked already (a crash before the "sent" mark): nobody is asked again.
            "" if "confirm_state" in item else item.get("ask_user", {}).get("S", ""),
            read_number(item, "recorded_at"),
        )


def event_item(
    signin: SignIn,
    verdict: Verdict,
    *,
    recorded_at: float,
    retention_days: int,
    claim: Claim | None = None,
    message: Mapping[str, Any] | None = None,
    channel: str | None = None,
    ask_user: str = "",
) -> dict[str, Any]:
    """The sign-in's item. With a `claim` it is an alert claimed by this invocation
    (status `delivering`), carrying the message it will post."""
    status = AlertStatus.DELIVERING if claim is not None else AlertStatus.NOT_ALERTED
    item = {
        **event_key(signin.event_id),
        **signin_attributes(signin),
        "severity": {"S": verdict.severity.name},
        "title": {"S": verdict.title},
        "alert_status": {"S": status.value},
        "attempts": {"N": "0"},
        "recorded_at": number(round(recorded_at, 3)),
        TTL_ATTRIBUTE: expires_at(
            epoch_of(signin.event_time), retention_days * DAY_SECONDS, now=recorded_at
        ),
    }
    if claim is not None:
        item["lease_until"] = number(round(claim.until, 3))
        item["claim_id"] = {"S": claim.id}
    if message is not None:
        item["message"] = {"S": json.dumps(message, ensure_ascii=False)}
    if channel:
        item["channel"] = {"S": channel}
    if ask_user:  # the alert says this Slack user is asked: a takeover asks them too
        item["ask_user"] = {"S": ask_user}
    if verdict.reasons:
        item["reasons"] = {"L": [{"S": reason} for reason in verdict.reasons]}
    if verdict.skip_reason:
        item["skip_reason"] = {"S": verdict.skip_reason[:500]}
    if verdict.skip is not None:
        item["skip"] = {"S": verdict.skip.value}
    return item


def first_put(table: str, item: dict[str, Any]) -> Write:
    """The event's put in the commit: only if it is not recorded yet."""
    return {
        "Put": {
            "TableName": table,
            "Item": item,
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }


class Claims:
    """The claim on posting an alert, after the commit: take over, give back, "sent"."""

    def __init__(
        self,
        dynamodb: Any,
        table_name: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self._db = dynamodb
        self._table = table_name
        self._sleep = sleep
        self._monotonic = monotonic
        self._rng = rng or random.Random()

    def take_over(self, event_id: str, claim: Claim, *, now: float) -> bool:
        """Claim a `pending` alert, or one whose holder's lease expired."""
        try:
            self._db.update_item(
                TableName=self._table,
                Key=event_key(event_id),
                UpdateExpression=(
                    "SET alert_status = :delivering, lease_until = :until, claim_id = :claim"
                ),
                ConditionExpression=(
                    "alert_status = :pending OR (alert_status = :delivering AND lease_until < :now)"
                ),
                ExpressionAttributeValues={
                    ":delivering": {"S": AlertStatus.DELIVERING.value},
                    ":pending": {"S": AlertStatus.PENDING.value},
                    ":until": number(round(claim.until, 3)),
                    ":claim": {"S": claim.id},
                    ":now": number(round(now, 3)),
                },
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def release(self, event_id: str, claim: Claim, *, attempts: int, error: str) -> None:
        """Give our claim back, so that the next invocation posts at once."""
        self._db.update_item(
            TableName=self._table,
            Key=event_key(event_id),
            UpdateExpression=(
                "SET alert_status = :pending, attempts = attempts + :attempts, "
                "last_error = :error REMOVE lease_until, claim_id"
            ),
            ConditionExpression="alert_status = :delivering AND claim_id = :mine",
            ExpressionAttributeValues={
                ":pending": {"S": AlertStatus.PENDING.value},
                ":delivering": {"S": AlertStatus.DELIVERING.value},
                ":mine": {"S": claim.id},
                ":attempts": {"N": str(attempts)},
                ":error": {"S": error[:500]},
            },
        )

    def mark_sent(
        self,
        event_id: str,
        *,
        attempts: int,
        reference: str,
        sent_at: float,
        deadline: float,
        also: Sequence[Write] = (),
    ) -> bool:
        """Record the post, retried until `deadline` (a `monotonic()` time); `also`
        joins the same transaction. False when every attempt failed: the message is
        posted either way, and the caller must not post it again."""
        update: dict[str, Any] = {
            "TableName": self._table,
            "Key": event_key(event_id),
            "UpdateExpression": (
                "SET alert_status = :sent, attempts = attempts + :attempts, sent_at = :at, "
                "slack_ref = :ref REMOVE lease_until, claim_id, message"
            ),
            "ExpressionAttributeValues": {
                ":sent": {"S": AlertStatus.SENT.value},
                ":attempts": {"N": str(attempts)},
                ":at": number(round(sent_at, 3)),
                ":ref": {"S": reference or "-"},
            },
        }
        delay = 0.05
        while True:
            try:
                if also:
                    self._db.transact_write_items(TransactItems=[{"Update": update}, *also])
                else:
                    self._db.update_item(**update)
            except Exception:  # throttled, timed out, refused: all worth another try
                wait = self._rng.uniform(delay / 2, delay)
                if self._monotonic() + wait >= deadline:
                    return False
                self._sleep(wait)
                delay = min(delay * 2, 1.0)
                continue
            return True


@dataclass(frozen=True)
class Recorded:
    """What the ledger knew about this event when we tried to record it."""

    first_time: bool
    status: AlertStatus


class Ledger:
    """Recording without alerting (`manage.py backfill`), and reading one event."""

    def __init__(
        self,
        dynamodb: Any,
        table_name: str,
        *,
        clock: Clock,
        retention_days: int = 90,
    ) -> None:
        self._db = dynamodb
        self.table_name = table_name
        self._clock = clock
        self._retention_days = retention_days

    @property
    def retention_days(self) -> int:
        return self._retention_days

    def item_for(self, signin: SignIn, verdict: Verdict) -> dict[str, Any]:
        return event_item(
            signin,
            verdict,
            recorded_at=self._clock().timestamp(),
            retention_days=self._retention_days,
        )

    def record(self, signin: SignIn, verdict: Verdict) -> Recorded:
        """Write the sign-in, not alerted, with its day's counters and its principal's
        directory entry, once: a second call for the same eventID changes nothing and
        says what the first one did."""
        writes = [
            first_put(self.table_name, self.item_for(signin, verdict)),
            *day_writes(self.table_name, signin, Places(), retention_days=self._retention_days),
        ]
        # Retries a conflict with another sign-in of the same day, and places the
        # directory entry where the sign-in falls (backfills arrive in any order).
        failed = transact_with_directory(
            self._db, self.table_name, signin, writes, attempts=TRANSACTION_ATTEMPTS
        )
        if failed is None:
            return Recorded(True, AlertStatus.NOT_ALERTED)
        item = self.get(signin.event_id) or {}
        return Recorded(False, StoredAlert.of(item).status)

    def get(self, event_id: str) -> dict[str, Any] | None:
        response = self._db.get_item(
            TableName=self.table_name, Key=event_key(event_id), ConsistentRead=True
        )
        item: dict[str, Any] | None = response.get("Item")
        return item
