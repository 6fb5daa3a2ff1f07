"""The sign-in ledger: one item per CloudTrail eventID (`EVENT#<id>`), both the history
`/recent-logins` reads and the alert's state, which makes alerting exactly-once in effect.

The item is written once, in the sign-in's commit, with its final verdict, the message
to post and its alert's first state: `delivering` (this invocation holds the claim
until `lease_until`), or `not_alerted`. What it is from then on, and every write that
changes it, are `signin_record.py` and `signin_writes.py`; here are the first item and
recording without alerting.

`/recent-logins` reads it through global secondary indexes, never a Scan (see
store/listing.py for the index attributes, store/day_tally.py for the day's counters,
store/directory.py for the principal directory, all written in the same commit).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.clock import Clock
from chalicelib.judge.places import Places
from chalicelib.judge.rules import Verdict
from chalicelib.signin.parse import SignIn
from chalicelib.store.attributes import DAY_SECONDS, TTL_ATTRIBUTE, epoch_of, expires_at, number
from chalicelib.store.day_tally import day_writes
from chalicelib.store.directory import transact_with_directory
from chalicelib.store.listing import signin_attributes
from chalicelib.store.schema import event_key
from chalicelib.store.signin_record import AlertStatus, Claim, SigninRecord
from chalicelib.store.signin_writes import first_put

TRANSACTION_ATTEMPTS = 4


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
        return Recorded(False, SigninRecord.of(item).alert.status)

    def get(self, event_id: str) -> dict[str, Any] | None:
        response = self._db.get_item(
            TableName=self.table_name, Key=event_key(event_id), ConsistentRead=True
        )
        item: dict[str, Any] | None = response.get("Item")
        return item
