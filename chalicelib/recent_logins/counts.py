"""The window's counts for `/recent-logins`: whole days and hours from the day counters,
the partial first hour from one read of its sign-ins, every call counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from chalicelib.recent_logins.queries import _CATEGORY_NAMES, Counts
from chalicelib.store.attributes import BATCH_GET_LIMIT
from chalicelib.store.indexes import LISTED, SIGNIN_INDEX, SIGNIN_PARTITION_ATTRIBUTE
from chalicelib.store.listing import hourly_name
from chalicelib.store.schema import HOURS_SK, Category, day_counter_key, day_hours_key


class Reader:
    """The table, counting the calls made on it."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self.db = dynamodb
        self.table = table
        self.calls = 0

    def query(self, **arguments: Any) -> dict[str, Any]:
        self.calls += 1
        response: dict[str, Any] = self.db.query(TableName=self.table, **arguments)
        return response

    def batch_get(
        self, keys: list[dict[str, Any]], projection: list[str] | None = None
    ) -> list[dict[str, Any]]:
        # Whole items unless told: a day's counters are a few KB, less than a
        # projection of every hourly name would cost DynamoDB to evaluate.
        found: list[dict[str, Any]] = []
        request: dict[str, Any] = {}
        if projection:
            request["ProjectionExpression"] = ", ".join(f"#p{n}" for n in range(len(projection)))
            request["ExpressionAttributeNames"] = {
                f"#p{n}": name for n, name in enumerate(projection)
            }
        for start in range(0, len(keys), BATCH_GET_LIMIT):
            batch = keys[start : start + BATCH_GET_LIMIT]
            # UnprocessedKeys happen under throttling; a few rounds, then give up on them.
            for _ in range(3):
                if not batch:
                    break
                self.calls += 1
                response = self.db.batch_get_item(
                    RequestItems={self.table: {"Keys": batch, **request}}
                )
                found.extend(response.get("Responses", {}).get(self.table, []))
                batch = response.get("UnprocessedKeys", {}).get(self.table, {}).get("Keys", [])
        return found


# -- the window's counts ------------------------------------------------------------------


def window_counts(
    reader: Reader,
    days: list[str],
    since: datetime,
    also: list[dict[str, Any]] | None = None,
    into: list[dict[str, Any]] | None = None,
) -> tuple[dict[str, Counts], Counts]:
    """Counts per day, and for the window: whole days and hours from the counters, the
    part of the hour the window starts in from one read of its sign-ins. The items of
    the keys `also` (the catalog's shards) come in the same read, into `into`: no call
    more when all the keys fit in one BatchGetItem."""
    first_day = days[-1]
    since = since.astimezone(UTC)
    boundary = since.replace(minute=0, second=0, microsecond=0)
    whole_first_day = since == start_of(first_day)
    # The first day's hourly counters come in the same read.
    hours = [] if whole_first_day else list(range(boundary.hour, 24))
    keys = [day_counter_key(day) for day in days]
    keys += [] if whole_first_day else [day_hours_key(first_day)]
    items = reader.batch_get(keys + (also or []))
    raw: dict[str, dict[str, int]] = {}
    first: dict[str, int] = {}
    for item in items:
        if not item["pk"]["S"].startswith("DAY#"):
            if into is not None:
                into.append(item)
            continue
        day = item["pk"]["S"].removeprefix("DAY#")
        numbers = numbers_of(item)
        if item["sk"]["S"] == HOURS_SK:
            first = sum_counts(first, numbers)
        else:
            raw[day] = numbers
            if day == first_day:  # before schema 2, the hours were in the day's item
                first = sum_counts(first, numbers)
    per_day = {day: Counts.from_values(values) for day, values in raw.items()}
    total = sum((per_day.get(day, Counts()) for day in days[:-1]), Counts())
    if whole_first_day:
        return per_day, total + per_day.get(first_day, Counts())
    for hour in hours[1:]:
        total += hour_counts(first, hour)
    if since == boundary:
        return per_day, total + hour_counts(first, boundary.hour)
    # Always read, even when the counters say the hour was quiet: a command makes the
    # same calls whatever the table holds.
    return per_day, total + tally_between(reader, since, boundary + timedelta(hours=1))


def hour_counts(counters: Mapping[str, int], hour: int) -> Counts:
    prefix = hourly_name(hour, "")
    return Counts.from_values(
        {name.removeprefix(prefix): v for name, v in counters.items() if name.startswith(prefix)}
    )


def tally_between(reader: Reader, since: datetime, until: datetime) -> Counts:
    arguments: dict[str, Any] = {
        "IndexName": SIGNIN_INDEX,
        "KeyConditionExpression": "#h = :listed AND #at BETWEEN :since AND :until",
        # Only the categories come back.
        "ProjectionExpression": "#categories",
        "ExpressionAttributeNames": {
            "#h": SIGNIN_PARTITION_ATTRIBUTE,
            "#at": "at",
            "#categories": "categories",
        },
        "ExpressionAttributeValues": {
            ":listed": {"S": LISTED},
            ":since": {"S": since_key(since)},
            # `at` is `<epoch>#<id>`: every key of the last second sorts below `~`.
            ":until": {"S": since_key(until - timedelta(seconds=1)) + "~"},
        },
    }
    category_sets: list[frozenset[Category]] = []
    while True:
        response = reader.query(**arguments)
        for item in response.get("Items", []):
            names = item.get("categories", {}).get("SS", [])
            category_sets.append(
                frozenset(Category(name) for name in names if name in _CATEGORY_NAMES)
            )
        if "LastEvaluatedKey" not in response:
            return Counts.tally(category_sets)
        arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]


# -- listings -------------------------------------------------------------------------


def numbers_of(item: Mapping[str, Any]) -> dict[str, int]:
    numbers = {}
    for name, value in item.items():
        if isinstance(value, Mapping) and "N" in value:
            try:
                numbers[name] = int(value["N"])
            except (TypeError, ValueError):
                continue
    return numbers


def sum_counts(one: Mapping[str, int], other: Mapping[str, int]) -> dict[str, int]:
    total = dict(one)
    for name, count in other.items():
        total[name] = total.get(name, 0) + count
    return total


def since_key(since: datetime) -> str:
    return f"{max(0, int(since.timestamp())):010d}"


def start_of(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC)


def days_newest_first(since: datetime, now: datetime) -> list[str]:
    first = since.astimezone(UTC).date()
    last = max(now.astimezone(UTC).date(), first)
    count = (last - first).days + 1
    return [(last - timedelta(days=offset)).isoformat() for offset in range(count)]
