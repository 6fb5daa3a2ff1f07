"""The sign-in ledger: one DynamoDB item per CloudTrail eventID.

It is both the history (`/recent-logins` reads it) and the idempotency record that
makes alerting exactly-once in effect: Lambda may deliver an event twice, and a retry
after a failed Slack post must post, while a duplicate of a posted one must not.

Alert states: `delivering` (claimed by one invocation until `lease_until`) -> `sent`,
or back to `pending` when delivery failed (a retry claims it again); `not_alerted`
from the start for sign-ins the rules do not post.

`/recent-logins` reads it through global secondary indexes, never a Scan. A sign-in
item (not the steps inside one, such as CheckMfa) carries `day` (UTC date) and `at`
(`<epoch>#<eventID>`, so newest first is a reverse range read) for the `by_day` index,
and `failed_month`, `root_month` or `nomfa_month` (`YYYY-MM`) only when it is one of
those, for three sparse indexes: these sign-ins are few, so a month per partition lets
one Query find ten of them where day partitions would need a Query per day. One counter
item per day (`pk=DAY#<date>`, `sk=COUNT`) holds the day's
totals and hourly totals, written in the same transaction as the sign-in's first record:
the summary line costs one BatchGetItem, plus at most one hour's sign-ins read, whatever
the size of the table.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from chalicelib.clock import Clock
from chalicelib.judge.rules import Verdict
from chalicelib.signin.parse import SignIn
from chalicelib.store.listing import categories_of, counter_names, hourly_name, signin_attributes
from chalicelib.store.schema import TTL_ATTRIBUTE, day_counter_key, event_key, expires_at

TRANSACTION_ATTEMPTS = 4


class AlertStatus(StrEnum):
    PENDING = "pending"
    DELIVERING = "delivering"
    SENT = "sent"
    NOT_ALERTED = "not_alerted"


@dataclass(frozen=True)
class Recorded:
    """What the ledger knew about this event when we tried to record it."""

    first_time: bool
    status: AlertStatus


class Ledger:
    def __init__(
        self,
        dynamodb: Any,
        table_name: str,
        *,
        clock: Clock,
        retention_days: int = 90,
        lease_seconds: int = 120,
    ) -> None:
        self._db = dynamodb
        self.table_name = table_name
        self._clock = clock
        self._retention = timedelta(days=retention_days)
        self._lease = timedelta(seconds=lease_seconds)

    def record(self, signin: SignIn, verdict: Verdict, *, alert: bool) -> Recorded:
        """Write the sign-in once. A second call for the same eventID changes nothing
        and tells the caller what happened to the first one. A first write with
        `alert=True` holds the claim to post it (status `delivering`)."""
        status = AlertStatus.DELIVERING if alert else AlertStatus.NOT_ALERTED
        old = self._put_first(signin, self.item_for(signin, verdict, alert=alert))
        if old is not None:
            return Recorded(False, AlertStatus(old["alert_status"]["S"]))
        return Recorded(True, status)

    def item_for(self, signin: SignIn, verdict: Verdict, *, alert: bool) -> dict[str, Any]:
        """The item `record` writes (`manage.py backfill` writes the same).
        An alert is claimed in the same write that records it: one call, not two."""
        status = AlertStatus.DELIVERING if alert else AlertStatus.NOT_ALERTED
        now = self._clock()
        item = {
            **event_key(signin.event_id),
            **signin_attributes(signin),
            "severity": {"S": verdict.severity.name},
            "title": {"S": verdict.title},
            "alert_status": {"S": status.value},
            "attempts": {"N": "0"},
            "recorded_at": {"S": now.isoformat()},
            TTL_ATTRIBUTE: expires_at(signin.event_time, self._retention.total_seconds(), now=now),
        }
        if alert:
            item["lease_until"] = {"S": (now + self._lease).isoformat()}
        if verdict.reasons:
            item["reasons"] = {"L": [{"S": reason} for reason in verdict.reasons]}
        if verdict.skip_reason:
            item["skip_reason"] = {"S": verdict.skip_reason}
        return item

    def _put_first(self, signin: SignIn, item: dict[str, Any]) -> dict[str, Any] | None:
        """Put the item unless it exists; None when written, else the existing item.
        A listed sign-in is counted in its day's counter in the same transaction, so
        the counts match the items exactly, duplicates and backfills included."""
        put = {
            "TableName": self.table_name,
            "Item": item,
            "ConditionExpression": "attribute_not_exists(pk)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        if "day" not in item:
            try:
                self._db.put_item(**put)
            except self._db.exceptions.ConditionalCheckFailedException as error:
                found: dict[str, Any] | None = getattr(error, "response", {}).get("Item")
                return found or self._get(signin.event_id)
            return None
        counter = self._counter_update(signin, item["day"]["S"])
        for attempt in range(TRANSACTION_ATTEMPTS):
            try:
                self._db.transact_write_items(TransactItems=[{"Put": put}, {"Update": counter}])
            except self._db.exceptions.TransactionCanceledException as error:
                reasons = getattr(error, "response", {}).get("CancellationReasons") or [{}]
                if reasons[0].get("Code") == "ConditionalCheckFailed":
                    existing: dict[str, Any] | None = reasons[0].get("Item")
                    return existing or self._get(signin.event_id)
                # Another sign-in of the same day updated the counter at the same
                # moment (TransactionConflict): nothing was written, so try again.
                if attempt == TRANSACTION_ATTEMPTS - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))
            else:
                return None
        return None  # pragma: no cover - the loop returns or raises

    def _counter_update(self, signin: SignIn, day: str) -> dict[str, Any]:
        names = counter_names(categories_of(signin))
        names += [hourly_name(signin.event_time.astimezone(UTC).hour, name) for name in names]
        return {
            "TableName": self.table_name,
            "Key": day_counter_key(day),
            "UpdateExpression": "ADD "
            + ", ".join(f"#{name} :one" for name in names)
            + f" SET {TTL_ATTRIBUTE} = :expires",
            "ExpressionAttributeNames": {f"#{name}": name for name in names},
            "ExpressionAttributeValues": {
                ":one": {"N": "1"},
                ":expires": expires_at(
                    datetime.fromisoformat(day),
                    (self._retention + timedelta(days=2)).total_seconds(),
                ),
            },
        }

    def claim(self, event_id: str) -> bool:
        """Take the right to post this alert, unless it was posted or another invocation
        holds an unexpired lease. A crashed invocation's lease expires."""
        now = self._clock()
        try:
            self._db.update_item(
                TableName=self.table_name,
                Key=event_key(event_id),
                UpdateExpression="SET alert_status = :delivering, lease_until = :until",
                ConditionExpression=(
                    "alert_status = :pending OR (alert_status = :delivering AND lease_until < :now)"
                ),
                ExpressionAttributeValues={
                    ":delivering": {"S": AlertStatus.DELIVERING.value},
                    ":pending": {"S": AlertStatus.PENDING.value},
                    ":until": {"S": (now + self._lease).isoformat()},
                    ":now": {"S": now.isoformat()},
                },
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def mark_sent(self, event_id: str, *, attempts: int, reference: str = "") -> None:
        values: dict[str, Any] = {
            ":sent": {"S": AlertStatus.SENT.value},
            ":attempts": {"N": str(attempts)},
            ":at": {"S": self._clock().isoformat()},
            ":ref": {"S": reference or "-"},
        }
        self._db.update_item(
            TableName=self.table_name,
            Key=event_key(event_id),
            UpdateExpression=(
                "SET alert_status = :sent, attempts = attempts + :attempts, sent_at = :at, "
                "slack_ref = :ref REMOVE lease_until"
            ),
            ExpressionAttributeValues=values,
        )

    def release(self, event_id: str, *, attempts: int, error: str) -> None:
        """Give the claim back after a failed delivery, so Lambda's retry can post."""
        self._db.update_item(
            TableName=self.table_name,
            Key=event_key(event_id),
            UpdateExpression=(
                "SET alert_status = :pending, attempts = attempts + :attempts, "
                "last_error = :error REMOVE lease_until"
            ),
            ExpressionAttributeValues={
                ":pending": {"S": AlertStatus.PENDING.value},
                ":attempts": {"N": str(attempts)},
                ":error": {"S": error[:500]},
            },
        )

    def revise(self, event_id: str, verdict: Verdict, *, claimed: bool = False) -> bool:
        """Replace a recorded verdict when storm control decides after recording: a
        failure that opens a burst alert, or one that a burst alert already tells
        (not_alerted, with the reason). Never touches a posted alert, nor one that
        another invocation is delivering (`claimed`: this invocation holds the claim
        it took when recording). False when it did not apply."""
        if verdict.alert:
            status = AlertStatus.DELIVERING if claimed else AlertStatus.PENDING
        else:
            status = AlertStatus.NOT_ALERTED
        revisable = [AlertStatus.PENDING, AlertStatus.NOT_ALERTED]
        if claimed:
            revisable.append(AlertStatus.DELIVERING)
        values: dict[str, Any] = {
            ":status": {"S": status.value},
            ":severity": {"S": verdict.severity.name},
            ":title": {"S": verdict.title},
            ":reasons": {"L": [{"S": reason} for reason in verdict.reasons]},
            **{f":r{i}": {"S": state.value} for i, state in enumerate(revisable)},
        }
        expression = "SET alert_status = :status, severity = :severity, title = :title, "
        expression += "reasons = :reasons"
        if verdict.skip_reason:
            values[":skip"] = {"S": verdict.skip_reason[:500]}
            expression += ", skip_reason = :skip"
        else:
            expression += " REMOVE skip_reason"
        try:
            self._db.update_item(
                TableName=self.table_name,
                Key=event_key(event_id),
                UpdateExpression=expression,
                ConditionExpression="alert_status IN ("
                + ", ".join(f":r{i}" for i in range(len(revisable)))
                + ")",
                ExpressionAttributeValues=values,
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def get(self, event_id: str) -> dict[str, Any] | None:
        response = self._db.get_item(
            TableName=self.table_name, Key=event_key(event_id), ConsistentRead=True
        )
        item: dict[str, Any] | None = response.get("Item")
        return item

    def _get(self, event_id: str) -> dict[str, Any]:
        item = self.get(event_id)
        if item is None:  # deleted between the failed put and now: treat as pending
            return {"alert_status": {"S": AlertStatus.PENDING.value}}
        return item
