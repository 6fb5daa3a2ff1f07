"""The roll-ups' state in the ledger (keys in store/schema.py): the list of roll-ups with
something to tell, each one's entries, and the conditional writes that let exactly one
sweep (or sign-in) at a time tell a roll-up.

A roll-up is told under a lease: the claim is a conditional write, so two invocations
at the same moment never both post; one that dies leaves a lease that runs out.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.routine.entries import RoutineEntry
from chalicelib.routine.periods import Period
from chalicelib.store.attributes import number, read_int, read_number
from chalicelib.store.schema import ROUTINE_DUE, routine_due_key, routine_partition

# DynamoDB takes at most this many values in one ADD to a string set per call.
TOLD_BATCH = 500


@dataclass(frozen=True)
class RollupState:
    period: Period
    recorded: int  # entries committed so far
    told: frozenset[str]  # eventIDs already in a message
    lease_until: float
    ts: str  # the Web API message, once posted
    channel: str

    @property
    def untold(self) -> int:
        return max(0, self.recorded - len(self.told))

    @classmethod
    def of(cls, item: Mapping[str, Any]) -> RollupState | None:
        period = Period.parse(str(item.get("sk", {}).get("S", "")))
        if period is None:
            return None
        return cls(
            period,
            recorded=read_int(item, "signins"),
            told=frozenset(item.get("told", {}).get("SS", ())),
            lease_until=read_number(item, "lease_until"),
            ts=str(item.get("ts", {}).get("S", "")),
            channel=str(item.get("posted_channel", {}).get("S", "")),
        )


class RoutineStore:
    def __init__(self, dynamodb: Any, table: str) -> None:
        self._db = dynamodb
        self._table = table

    def _pages(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        kwargs = {"TableName": self._table, "ConsistentRead": True, **kwargs}
        while True:
            response = self._db.query(**kwargs)
            yield from response.get("Items", [])
            if "LastEvaluatedKey" not in response:
                return
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def pending(self) -> list[RollupState]:
        """Every roll-up the ledger still holds: one small item per period."""
        found = self._pages(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": ROUTINE_DUE}},
        )
        return [state for item in found if (state := RollupState.of(item)) is not None]

    def state(self, period: Period) -> RollupState | None:
        response = self._db.get_item(
            TableName=self._table, Key=routine_due_key(period.id), ConsistentRead=True
        )
        item = response.get("Item")
        return RollupState.of(item) if item else None

    def entries(self, period: Period) -> list[RoutineEntry]:
        found = self._pages(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": routine_partition(period.id)}},
        )
        return [RoutineEntry.from_item(item) for item in found]

    def claim(self, period: Period, *, now: float, until: float) -> bool:
        """Take the roll-up's lease, unless another holds a live one."""
        try:
            self._db.update_item(
                TableName=self._table,
                Key=routine_due_key(period.id),
                UpdateExpression="SET lease_until = :until",
                ConditionExpression="attribute_exists(pk) AND "
                "(attribute_not_exists(lease_until) OR lease_until < :now)",
                ExpressionAttributeValues={":until": number(until), ":now": number(now)},
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def release(self, period: Period, *, until: float) -> None:
        """Give the lease back (its post failed): the next sweep tries again."""
        # Taken over meanwhile: not ours to give back.
        with contextlib.suppress(self._db.exceptions.ConditionalCheckFailedException):
            self._db.update_item(
                TableName=self._table,
                Key=routine_due_key(period.id),
                UpdateExpression="REMOVE lease_until",
                ConditionExpression="lease_until = :until",
                ExpressionAttributeValues={":until": number(until)},
            )

    def told(
        self,
        period: Period,
        event_ids: Iterable[str],
        *,
        until: float,
        ts: str = "",
        channel: str = "",
    ) -> None:
        """The entries are in Slack: remember them, and the message, and free the lease."""
        ids = sorted(set(event_ids))
        batches = [ids[n : n + TOLD_BATCH] for n in range(0, len(ids), TOLD_BATCH)] or [[]]
        for number_of, batch in enumerate(batches):
            last = number_of == len(batches) - 1
            names: dict[str, str] = {}
            values: dict[str, Any] = {}
            adds, sets = [], []
            if batch:
                adds.append("told :ids")
                values[":ids"] = {"SS": batch}
            if ts and number_of == 0:
                sets += ["ts = :ts", "posted_channel = :channel"]
                values |= {":ts": {"S": ts}, ":channel": {"S": channel}}
            expression = ""
            if sets:
                expression += "SET " + ", ".join(sets) + " "
            if adds:
                expression += "ADD " + ", ".join(adds) + " "
            if last:
                expression += "REMOVE lease_until"
            if not expression.strip():
                continue
            kwargs: dict[str, Any] = {
                "TableName": self._table,
                "Key": routine_due_key(period.id),
                "UpdateExpression": expression.strip(),
            }
            if names:
                kwargs["ExpressionAttributeNames"] = names
            if values:
                kwargs["ExpressionAttributeValues"] = values
            kwargs["ConditionExpression"] = "lease_until = :until"
            kwargs.setdefault("ExpressionAttributeValues", {})[":until"] = number(until)
            self._db.update_item(**kwargs)

    def forget(self, state: RollupState) -> None:
        """Told and over: drop it from the list, unless a sign-in was added meanwhile."""
        # A sign-in added meanwhile: the next sweep tells it.
        with contextlib.suppress(self._db.exceptions.ConditionalCheckFailedException):
            self._db.delete_item(
                TableName=self._table,
                Key=routine_due_key(state.period.id),
                ConditionExpression="signins = :recorded",
                ExpressionAttributeValues={":recorded": {"N": str(state.recorded)}},
            )
