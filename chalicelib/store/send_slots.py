"""A per-channel send budget shared by every Lambda instance: Slack takes about one
message a second per channel, and answers 429 beyond.

One DynamoDB item per channel holds `next_at`, the earliest wall-clock time the next
message may go. Taking a slot is one atomic update: when the channel is idle, set
`next_at = now + interval` and send now; when it is busy, `ADD next_at interval` and
send at the slot that update handed out. Instances never read-modify-write, so two of
them can never get the same slot.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from chalicelib.store.attributes import TTL_ATTRIBUTE, expires_at, number
from chalicelib.store.schema import send_slot_key

# Idle channels' items go away a day after their last message.
RATE_ITEM_TTL_SECONDS = 86_400


class SendSlots:
    def __init__(
        self,
        dynamodb: Any,
        table_name: str,
        *,
        interval: float,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = dynamodb
        self._table = table_name
        self._interval = interval
        self._now = wall_clock

    def reserve(self, destination: str, *, latest: float | None = None) -> float | None:
        """The wall-clock time at which this caller may send, or None when no slot is
        free before `latest` (a wall-clock time). A slot handed out is never shared."""
        key = send_slot_key(destination)
        interval = number(self._interval)
        for _ in range(5):
            now = self._now()
            try:
                self._db.update_item(
                    TableName=self._table,
                    Key=key,
                    UpdateExpression="SET next_at = :next, #ttl = :ttl",
                    ConditionExpression="attribute_not_exists(next_at) OR next_at <= :now",
                    ExpressionAttributeNames={"#ttl": TTL_ATTRIBUTE},
                    ExpressionAttributeValues={
                        ":next": number(now + self._interval),
                        ":now": number(now),
                        ":ttl": expires_at(now, RATE_ITEM_TTL_SECONDS),
                    },
                )
                return now
            except self._db.exceptions.ConditionalCheckFailedException:
                pass
            condition = "next_at > :now"
            values: dict[str, Any] = {":interval": interval, ":now": number(now)}
            if latest is not None:
                condition += " AND next_at <= :latest"
                values[":latest"] = number(latest)
            try:
                response = self._db.update_item(
                    TableName=self._table,
                    Key=key,
                    UpdateExpression="ADD next_at :interval",
                    ConditionExpression=condition,
                    ExpressionAttributeValues=values,
                    ReturnValues="UPDATED_NEW",
                )
            except self._db.exceptions.ConditionalCheckFailedException:
                if latest is not None and self._busy_past(key, latest):
                    return None
                continue  # the channel went idle in between: take the free slot
            return float(response["Attributes"]["next_at"]["N"]) - self._interval
        return None

    def _busy_past(self, key: dict[str, Any], latest: float) -> bool:
        item = self._db.get_item(TableName=self._table, Key=key, ConsistentRead=True).get("Item")
        return bool(item) and float(item["next_at"]["N"]) > latest
