"""Events API deliveries handled once: Slack retries a delivery up to three times
(`X-Slack-Retry-Num`) when the first answer was slow or lost, with the same `event_id`.
One conditional put per delivery; a retry finds the mark and does nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.store.attributes import TTL_ATTRIBUTE, expires_at
from chalicelib.store.schema import slack_event_key

# Slack's retries come within minutes (its last after about an hour): a day is plenty.
KEEP_SECONDS = 86_400


class SlackEventMarks:
    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._db = dynamodb
        self._table = table_name

    def claim(self, event_id: str, now: datetime) -> bool:
        """True for the first delivery of `event_id`; False for a retry of it."""
        try:
            self._db.put_item(
                TableName=self._table,
                Item={**slack_event_key(event_id), TTL_ATTRIBUTE: expires_at(now, KEEP_SECONDS)},
                ConditionExpression="attribute_not_exists(pk)",
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def release(self, event_id: str) -> None:
        """The work failed: let Slack's next retry do it."""
        self._db.delete_item(TableName=self._table, Key=slack_event_key(event_id))
