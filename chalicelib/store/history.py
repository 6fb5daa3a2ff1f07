"""Reads recent sign-ins from the ledger for `/recent-logins`: Query on indexes only.

The cost of a command does not depend on the size of the table:
- the window's counts come from one BatchGetItem of per-day counter items (plus, for a
  window that starts mid-day, a COUNT query per category on that first day);
- the listing reads day partitions of an index newest first, skipping days whose counter
  says they hold nothing of interest, and stops as soon as it has enough entries;
- filters that no index answers (WHO, account) read more pages, so a fixed call budget
  and a deadline bound them; the reply then says how far back it looked.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from chalicelib.clock import Clock
from chalicelib.store.history_query import _CATEGORY_NAMES, Counts, Entry, History, HistoryQuery
from chalicelib.store.listing import COUNTER_NAMES, hourly_name
from chalicelib.store.schema import (
    BATCH_GET_LIMIT,
    CATEGORY_INDEXES,
    CATEGORY_PARTITION_ATTRIBUTES,
    DAY_INDEX,
    Category,
    day_counter_key,
)

# Query calls one command may make for its listing; the counts add one or a few more.
MAX_LISTING_CALLS = 30
FIRST_FILTERED_PAGE = 200
MAX_FILTERED_PAGE = 3200


class SigninHistory:
    def __init__(
        self,
        dynamodb: Any,
        table_name: str,
        *,
        clock: Clock,
        retention_days: int = 90,
        max_listing_calls: int = MAX_LISTING_CALLS,
    ) -> None:
        self._db = dynamodb
        self._table = table_name
        self._clock = clock
        self._retention = timedelta(days=retention_days)
        self._max_listing_calls = max_listing_calls

    def recent(self, query: HistoryQuery, *, deadline: float) -> History:
        now = self._clock()
        days = _days_newest_first(query.since, now)
        per_day, window, calls = self._window_counts(days, query.since)

        # The category with the fewest sign-ins drives the index; others become filters.
        driving = (
            min(query.categories, key=lambda category: window.of(frozenset({category})))
            if query.categories
            else None
        )
        matched = None if query.unindexed else window.of(query.categories)
        # Partitions (days, or months for a category index) whose counters say they
        # hold a match, newest first: no call is spent on the others.
        partitions: list[str] = []
        # With a category, the counters also say from which day on there are enough
        # matches: the Query starts there, not at the start of a month's partition.
        start = query.since
        found = 0
        for day in days:
            matches = per_day.get(day, Counts()).of(query.categories)
            if matches > 0:
                partition = day if driving is None else day[:7]
                if partition not in partitions:
                    partitions.append(partition)
                found += matches
            if driving is not None and not query.unindexed and found >= query.limit:
                start = max(query.since, _start_of(day))
                break

        entries: list[Entry] = []
        complete = True
        searched_back_to: datetime | None = None
        listing_calls = 0
        for partition in partitions:
            for page in self._pages(partition, query, driving, start):
                calls += 1
                listing_calls += 1
                entries.extend(Entry.from_item(item) for item in page.items)
                searched_back_to = page.oldest_key_time or searched_back_to
                if len(entries) >= query.limit:
                    break
                if page.more and (
                    listing_calls >= self._max_listing_calls or time.monotonic() >= deadline
                ):
                    complete = False
                    break
            if len(entries) >= query.limit or not complete:
                break
            if listing_calls >= self._max_listing_calls or time.monotonic() >= deadline:
                complete = partition == partitions[-1]
                if not complete:
                    searched_back_to = _start_of(partition)
                break

        retained = window.signins
        if retained == 0:
            # A quiet window: is the ledger empty, or only this window? Rare, so only
            # now read the rest of the retention period's counters.
            older = [
                day
                for day in _days_newest_first(now - self._retention, now)
                if day not in per_day and day < days[-1]
            ]
            if older:
                rest, more_calls = self._day_counters(older, list(COUNTER_NAMES))
                calls += more_calls
                retained = sum(
                    (Counts.from_values(values) for values in rest.values()), Counts()
                ).signins
        return History(
            entries=tuple(entries[: query.limit]),
            window=window,
            matched=matched,
            complete=complete,
            searched_back_to=None if complete else searched_back_to,
            retained=retained,
            since=query.since,
            calls=calls,
        )

    def _window_counts(
        self, days: list[str], since: datetime
    ) -> tuple[dict[str, Counts], Counts, int]:
        """Counts per day, and for the window: whole days and hours from the counters,
        the part of the hour the window starts in from one read of its sign-ins."""
        first_day = days[-1]
        boundary = since.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        partial_day = since != _start_of(first_day)
        raw, calls = self._day_counters(days, list(COUNTER_NAMES))
        per_day = {day: Counts.from_values(values) for day, values in raw.items()}
        total = sum((per_day.get(day, Counts()) for day in days[:-1]), Counts())
        if not partial_day or first_day not in per_day:
            return per_day, total + per_day.get(first_day, Counts()), calls
        # Only the first day's hours are needed: one small GetItem rather than every
        # day's hourly counters in the BatchGetItem.
        first, hour_calls = self._counter_item(first_day)
        calls += hour_calls

        def hour(number: int) -> Counts:
            prefix = hourly_name(number, "")
            return Counts.from_values(
                {
                    name.removeprefix(prefix): v
                    for name, v in first.items()
                    if name.startswith(prefix)
                }
            )

        for number in range(boundary.hour + 1, 24):
            total += hour(number)
        if since == boundary or hour(boundary.hour).signins == 0:
            return per_day, total + hour(boundary.hour), calls
        part, tally_calls = self._tally_between(first_day, since, boundary + timedelta(hours=1))
        return per_day, total + part, calls + tally_calls

    def _counter_item(self, day: str) -> tuple[dict[str, int], int]:
        # The whole item (a few KB, one read unit): a projection of up to 192 names
        # would cost more to evaluate than it saves.
        response = self._db.get_item(TableName=self._table, Key=day_counter_key(day))
        return _numbers(response.get("Item", {})), 1

    def _day_counters(
        self, days: list[str], names: list[str]
    ) -> tuple[dict[str, dict[str, int]], int]:
        placeholders = {f"#n{number}": name for number, name in enumerate(["pk", *names])}
        projection = ", ".join(placeholders)
        values: dict[str, dict[str, int]] = {}
        calls = 0
        for start in range(0, len(days), BATCH_GET_LIMIT):
            keys: list[dict[str, Any]] = [
                day_counter_key(day) for day in days[start : start + BATCH_GET_LIMIT]
            ]
            # UnprocessedKeys happen under throttling; a few rounds, then give up on them.
            for _ in range(3):
                if not keys:
                    break
                response = self._db.batch_get_item(
                    RequestItems={
                        self._table: {
                            "Keys": keys,
                            "ProjectionExpression": projection,
                            "ExpressionAttributeNames": placeholders,
                        }
                    }
                )
                calls += 1
                for item in response.get("Responses", {}).get(self._table, []):
                    values[item["pk"]["S"].removeprefix("DAY#")] = _numbers(item)
                keys = response.get("UnprocessedKeys", {}).get(self._table, {}).get("Keys", [])
        return values, calls

    def _tally_between(self, day: str, since: datetime, until: datetime) -> tuple[Counts, int]:
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": DAY_INDEX,
            "KeyConditionExpression": "#h = :day AND #at BETWEEN :since AND :until",
            # Only the categories come back.
            "ProjectionExpression": "#categories",
            "ExpressionAttributeNames": {"#h": "day", "#at": "at", "#categories": "categories"},
            "ExpressionAttributeValues": {
                ":day": {"S": day},
                ":since": {"S": _since_key(since)},
                # `at` is `<epoch>#<id>`: every key of the last second sorts below `~`.
                ":until": {"S": _since_key(until - timedelta(seconds=1)) + "~"},
            },
        }
        category_sets: list[frozenset[Category]] = []
        calls = 0
        while True:
            response = self._db.query(**arguments)
            calls += 1
            for item in response.get("Items", []):
                names = item.get("categories", {}).get("SS", [])
                category_sets.append(
                    frozenset(Category(name) for name in names if name in _CATEGORY_NAMES)
                )
            if "LastEvaluatedKey" not in response:
                return Counts.tally(category_sets), calls
            arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _pages(
        self, partition: str, query: HistoryQuery, driving: Category | None, start: datetime
    ) -> Iterator[_Page]:
        index, hash_attribute = _index_for(driving)
        names = {"#h": hash_attribute, "#at": "at"}
        values: dict[str, Any] = {
            ":partition": {"S": partition},
            ":since": {"S": _since_key(start)},
        }
        conditions = []
        for category in sorted(query.categories - {driving} if driving else query.categories):
            names["#categories"] = "categories"
            values[f":{category.value}"] = {"S": category.value}
            conditions.append(f"contains(#categories, :{category.value})")
        if query.who:
            names["#who"] = "who"
            values[":who"] = {"S": query.who.lower()}
            conditions.append("contains(#who, :who)")
        if query.account_id:
            names["#account"] = "account_id"
            values[":account"] = {"S": query.account_id}
            conditions.append("#account = :account")
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": "#h = :partition AND #at >= :since",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,  # newest first
        }
        if conditions:
            arguments["FilterExpression"] = " AND ".join(conditions)
        collected = 0
        # A filter no index answers reads pages of growing size: a common name is
        # found in the first small page, a rare one still gets up to 1 MB pages.
        page_size = FIRST_FILTERED_PAGE
        while True:
            if not conditions:
                # Without a filter every item read is an entry: read no more than needed.
                arguments["Limit"] = max(1, query.limit - collected)
            elif query.unindexed:
                arguments["Limit"] = page_size
                page_size = min(page_size * 4, MAX_FILTERED_PAGE)
            response = self._db.query(**arguments)
            items = response.get("Items", [])
            collected += len(items)
            last = response.get("LastEvaluatedKey")
            yield _Page(items, more=last is not None, oldest_key_time=_key_time(last))
            if last is None:
                return
            arguments["ExclusiveStartKey"] = last


@dataclass(frozen=True)
class _Page:
    items: list[dict[str, Any]]
    more: bool
    oldest_key_time: datetime | None


def _index_for(category: Category | None) -> tuple[str, str]:
    if category is None:
        return DAY_INDEX, "day"
    return CATEGORY_INDEXES[category], CATEGORY_PARTITION_ATTRIBUTES[category]


def _numbers(item: Mapping[str, Any]) -> dict[str, int]:
    numbers = {}
    for name, value in item.items():
        if isinstance(value, Mapping) and "N" in value:
            try:
                numbers[name] = int(value["N"])
            except (TypeError, ValueError):
                continue
    return numbers


def _since_key(since: datetime) -> str:
    return f"{max(0, int(since.timestamp())):010d}"


def _key_time(key: dict[str, Any] | None) -> datetime | None:
    if not key:
        return None
    try:
        return datetime.fromtimestamp(int(key["at"]["S"].split("#", 1)[0]), UTC)
    except (KeyError, TypeError, ValueError):
        return None


def _start_of(partition: str) -> datetime:
    """The first moment of a day (`2026-11-20`) or a month (`2026-11`) partition."""
    if len(partition) == 7:
        partition += "-01"
    return datetime.combine(date.fromisoformat(partition), datetime.min.time(), UTC)


def _days_newest_first(since: datetime, now: datetime) -> list[str]:
    first = since.astimezone(UTC).date()
    last = max(now.astimezone(UTC).date(), first)
    count = (last - first).days + 1
    return [(last - timedelta(days=offset)).isoformat() for offset in range(count)]
