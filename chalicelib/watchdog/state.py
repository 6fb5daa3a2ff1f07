"""What the watchdog said last, per stage and check, and what to say now.

`decide` is pure: the stored state, the finding and the time give one WatchdogChange. The
store writes each change conditionally on the version it read, so when two runs
overlap exactly one wins the write, and only the winner posts.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from chalicelib.store.attributes import number, read_int, read_number
from chalicelib.store.schema import watchdog_key, watchdog_partition
from chalicelib.watchdog.findings import Check, Finding, Status


class WatchdogChange(StrEnum):
    NONE = "none"
    NEW = "new"  # a problem appeared: post it
    REMIND = "remind"  # still there after the reminder interval
    RESOLVED = "resolved"  # it cleared


@dataclass(frozen=True)
class WatchdogRecord:
    key: str
    status: Status
    since: float  # epoch seconds the current status began
    posted_at: float  # epoch seconds of the last message about it (0: none)
    version: int
    what: str = ""


def decide(
    stored: WatchdogRecord | None, finding: Finding, now: datetime, remind: timedelta
) -> WatchdogChange:
    was = stored.status if stored else Status.OK
    if finding.status is Status.OK:
        return WatchdogChange.RESOLVED if was is Status.PROBLEM else WatchdogChange.NONE
    if was is not finding.status:
        return WatchdogChange.NEW
    if finding.status is Status.HINT:  # a hint is said once, never repeated
        return WatchdogChange.NONE
    assert stored is not None
    if now.timestamp() - stored.posted_at >= remind.total_seconds():  # never posted: 0
        return WatchdogChange.REMIND
    return WatchdogChange.NONE


def next_state(
    stored: WatchdogRecord | None, finding: Finding, action: WatchdogChange, now: datetime
) -> WatchdogRecord:
    """The state to write, claiming the message about `action` (posted now)."""
    at = now.timestamp()
    version = stored.version + 1 if stored else 1
    if action is WatchdogChange.REMIND and stored is not None:
        return replace(stored, posted_at=at, version=version)
    return WatchdogRecord(
        finding.key,
        finding.status,
        since=at,
        posted_at=at,
        version=version,
        what=finding.what,
    )


class WatchdogState:
    def __init__(self, dynamodb: Any, table: str) -> None:
        self._db = dynamodb
        self._table = table

    def load(self, stage: str) -> dict[str, WatchdogRecord]:
        """Every check's state for the stage: one Query."""
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": watchdog_partition(stage)}},
            "ConsistentRead": True,
        }
        states: dict[str, WatchdogRecord] = {}
        while True:
            response = self._db.query(**arguments)
            for item in response.get("Items", []):
                key = item["sk"]["S"].removeprefix("CHECK#")
                states[key] = WatchdogRecord(
                    key,
                    Status(item["status"]["S"]),
                    read_number(item, "since"),
                    read_number(item, "posted_at"),
                    read_int(item, "version"),
                    item.get("what", {}).get("S", ""),
                )
            if "LastEvaluatedKey" not in response:
                return states
            arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def save(self, stage: str, new: WatchdogRecord, expected: WatchdogRecord | None) -> bool:
        """Write `new` if nobody changed the item since `expected` was read."""
        item = {
            **watchdog_key(stage, new.key),
            "status": {"S": new.status.value},
            "since": number(new.since),
            "posted_at": number(new.posted_at),
            "version": number(new.version),
            "what": {"S": new.what[:1000]},
        }
        condition: dict[str, Any] = (
            {"ConditionExpression": "attribute_not_exists(pk)"}
            if expected is None
            else {
                "ConditionExpression": "version = :version",
                "ExpressionAttributeValues": {":version": number(expected.version)},
            }
        )
        try:
            self._db.put_item(TableName=self._table, Item=item, **condition)
        except self._db.exceptions.ConditionalCheckFailedException:
            return False
        return True


__all__ = ["Check", "WatchdogChange", "WatchdogRecord", "WatchdogState", "decide", "next_state"]
