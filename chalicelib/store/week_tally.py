"""The week's hour counters, for the picture: the `HOURS` item of each UTC day the week
touches (eight at most, when the display time zone is not UTC), in one BatchGetItem.
Never a Scan; the principals' counters come from the digest's own Query of the day.
And the weekly digest's once-a-week mark, beside the daily one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from chalicelib.store.attributes import BATCH_GET_LIMIT, TTL_ATTRIBUTE, day_epoch, expires_after
from chalicelib.store.schema import day_hours_key, weekly_digest_key

# A throttled partition leaves keys unprocessed: asked again, at most this often.
MAX_BATCH_ATTEMPTS = 3


class WeekTally:
    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._db = dynamodb
        self._table = table_name

    def read(self, days: Sequence[date]) -> dict[date, dict[str, int]]:
        """Each day's hour counters (`h07_failed` -> 3); a day without sign-ins is absent.
        Raises when DynamoDB still leaves keys unprocessed after the last attempt: a
        picture with holes would say "quiet" where it does not know."""
        wanted = list(dict.fromkeys(days))[:BATCH_GET_LIMIT]
        found: dict[date, dict[str, int]] = {}
        if not wanted:
            return found
        keys = [day_hours_key(day.isoformat()) for day in wanted]
        request: dict[str, Any] = {self._table: {"Keys": keys, "ConsistentRead": True}}
        for _ in range(MAX_BATCH_ATTEMPTS):
            response = self._db.batch_get_item(RequestItems=request)
            for item in response.get("Responses", {}).get(self._table, []):
                day = date.fromisoformat(item["pk"]["S"].removeprefix("DAY#"))
                found[day] = {
                    name: int(float(value["N"]))
                    for name, value in item.items()
                    if name.startswith("h") and isinstance(value, dict) and "N" in value
                }
            request = response.get("UnprocessedKeys") or {}
            if not request:
                return found
        raise RuntimeError("DynamoDB left the week's hour counters unprocessed")

    def claim_weekly(self, last_day: date) -> bool:
        """Only one weekly digest for the week ending `last_day`."""
        try:
            self._db.put_item(
                TableName=self._table,
                Item={
                    **weekly_digest_key(last_day),
                    TTL_ATTRIBUTE: expires_after(day_epoch(last_day.isoformat()), 40),
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def release_weekly(self, last_day: date) -> None:
        self._db.delete_item(TableName=self._table, Key=weekly_digest_key(last_day))
