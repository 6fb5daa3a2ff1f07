"""Reading sign-in items as `SigninRecord`s for the question's side: one item, the
questions whose escalation is due, and the question states of a listing."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from chalicelib.store.attributes import BATCH_GET_LIMIT
from chalicelib.store.indexes import (
    PENDING_DUE_ATTRIBUTE,
    PENDING_INDEX,
    PENDING_QUEUE,
    PENDING_QUEUE_ATTRIBUTE,
)
from chalicelib.store.schema import confirm_due_until, event_id_of, event_key
from chalicelib.store.signin_record import ConfirmState, SigninRecord


class SigninReads:
    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._db = dynamodb
        self._table = table_name

    def read(self, event_id: str) -> SigninRecord | None:
        """One consistent read: what the last conditional write left."""
        response = self._db.get_item(
            TableName=self._table, Key=event_key(event_id), ConsistentRead=True
        )
        item = response.get("Item")
        return SigninRecord.of(item) if item else None

    def due(self, now: datetime, *, limit: int = 50) -> list[str]:
        """EventIDs whose escalation is due: one Query of the sparse index."""
        response = self._db.query(
            TableName=self._table,
            IndexName=PENDING_INDEX,
            KeyConditionExpression="#q = :q AND #due <= :until",
            ExpressionAttributeNames={
                "#q": PENDING_QUEUE_ATTRIBUTE,
                "#due": PENDING_DUE_ATTRIBUTE,
            },
            ExpressionAttributeValues={
                ":q": {"S": PENDING_QUEUE},
                ":until": {"S": confirm_due_until(int(now.timestamp()))},
            },
            Limit=limit,
        )
        return [event_id_of(item) for item in response.get("Items", [])]

    def states(self, event_ids: Iterable[str]) -> dict[str, ConfirmState]:
        """The question state of each listed sign-in (for `/recent-logins`): one
        BatchGetItem of two attributes per hundred sign-ins; unasked ones are absent."""
        wanted = list(dict.fromkeys(event_ids))
        found: dict[str, ConfirmState] = {}
        for start in range(0, len(wanted), BATCH_GET_LIMIT):
            keys = [event_key(event_id) for event_id in wanted[start : start + BATCH_GET_LIMIT]]
            request: dict[str, Any] = {
                self._table: {"Keys": keys, "ProjectionExpression": "event_id, confirm_state"}
            }
            for _ in range(3):  # unprocessed keys: a throttled partition, tried again
                response = self._db.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self._table, []):
                    record = SigninRecord.of(item)
                    if record.question.state is not ConfirmState.NOT_ASKED:
                        found[record.event_id] = record.question.state
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
        return found
