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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from chalicelib.ledger import (
    CATEGORY_DAY_ATTRIBUTES,
    CATEGORY_INDEXES,
    DAY_INDEX,
    TOTAL_COUNTER,
    Category,
    counter_key,
)

Clock = Callable[[], datetime]
# Query calls one command may make for its listing; the counts add one or a few more.
MAX_LISTING_CALLS = 30
BATCH_GET_LIMIT = 100


@dataclass(frozen=True)
class HistoryQuery:
    limit: int
    since: datetime
    categories: frozenset[Category] = frozenset()
    who: str = ""  # case-insensitive substring of the display name or ARN
    account_id: str = ""

    @property
    def needs_filter(self) -> bool:
        return bool(self.who or self.account_id or len(self.categories) > 1)


@dataclass(frozen=True)
class Counts:
    signins: int = 0
    failed: int = 0
    root: int = 0
    nomfa: int = 0

    def of(self, category: Category | None) -> int:
        return self.signins if category is None else int(getattr(self, category.value))

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.signins + other.signins,
            self.failed + other.failed,
            self.root + other.root,
            self.nomfa + other.nomfa,
        )


@dataclass(frozen=True)
class Entry:
    """One listed sign-in, as the index projects it. Every text is event-derived."""

    event_id: str
    event_time: datetime
    account_id: str
    region: str
    principal_type: str
    display_name: str
    arn: str
    role_name: str
    source_ip: str
    outcome: str
    failure_reason: str
    mfa: str
    federation: str

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Entry:
        def text(name: str) -> str:
            value = item.get(name, {}).get("S", "")
            return value if isinstance(value, str) else ""

        try:
            epoch = int(item["epoch"]["N"])
        except (KeyError, TypeError, ValueError):
            epoch = int(text("at").split("#", 1)[0] or 0)
        return cls(
            event_id=text("event_id"),
            event_time=datetime.fromtimestamp(epoch, UTC),
            account_id=text("account_id") or "unknown",
            region=text("region") or "unknown",
            principal_type=text("principal_type") or "unknown",
            display_name=text("display_name") or "unknown user",
            arn=text("arn"),
            role_name=text("role_name"),
            source_ip=text("source_ip") or "unknown",
            outcome=text("outcome") or "unknown",
            failure_reason=text("failure_reason"),
            mfa=text("mfa") or "unknown",
            federation=text("federation") or "none",
        )


@dataclass(frozen=True)
class History:
    entries: tuple[Entry, ...]
    window: Counts  # every sign-in in the window, whatever the filters
    # How many sign-ins match the query in the window, when the counters tell exactly
    # (no WHO or account filter, at most one category); None otherwise.
    matched: int | None
    # False when the call budget or the deadline stopped the search before it had both
    # enough entries and the whole window; `searched_back_to` says how far it got.
    complete: bool = True
    searched_back_to: datetime | None = None
    retained: int = 0  # sign-ins in the whole retention period: 0 means an empty ledger
    calls: int = field(default=0, compare=False)


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
        # The whole retention period's counters cost the same one call as the window's,
        # and tell an empty ledger from a quiet week.
        retained = _days_newest_first(min(query.since, now - self._retention), now)
        calls = 0
        per_day, counter_calls = self._day_counters(retained)
        calls += counter_calls
        window, count_calls = self._window_counts(days, per_day, query.since)
        calls += count_calls

        # The category with the fewest sign-ins drives the index; others become filters.
        driving = min(query.categories, key=window.of) if query.categories else None
        matched = None if query.needs_filter else window.of(driving)
        days_with_data = [day for day in days if per_day.get(day, Counts()).of(driving) > 0]

        entries: list[Entry] = []
        complete = True
        searched_back_to: datetime | None = None
        listing_calls = 0
        for day in days_with_data:
            for page in self._pages(day, query, driving):
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
                complete = day == days_with_data[-1]
                if not complete:
                    searched_back_to = _start_of(day)
                break

        return History(
            entries=tuple(entries[: query.limit]),
            window=window,
            matched=matched,
            complete=complete,
            searched_back_to=None if complete else searched_back_to,
            retained=sum(per_day.values(), Counts()).signins,
            calls=calls,
        )

    def _day_counters(self, days: list[str]) -> tuple[dict[str, Counts], int]:
        counts: dict[str, Counts] = {}
        calls = 0
        for start in range(0, len(days), BATCH_GET_LIMIT):
            keys: list[dict[str, Any]] = [
                counter_key(day) for day in days[start : start + BATCH_GET_LIMIT]
            ]
            # UnprocessedKeys happen under throttling; a few rounds, then give up on them.
            for _ in range(3):
                if not keys:
                    break
                response = self._db.batch_get_item(
                    RequestItems={self._table: {"Keys": keys, "ConsistentRead": False}}
                )
                calls += 1
                for item in response.get("Responses", {}).get(self._table, []):
                    counts[item["pk"]["S"].removeprefix("DAY#")] = _counts(item)
                keys = response.get("UnprocessedKeys", {}).get(self._table, {}).get("Keys", [])
        return counts, calls

    def _window_counts(
        self, days: list[str], per_day: dict[str, Counts], since: datetime
    ) -> tuple[Counts, int]:
        """Whole days from their counters; the first day, when the window starts after
        its midnight, by COUNT queries on that day from `since` on."""
        total = Counts()
        for day in days[:-1]:
            total += per_day.get(day, Counts())
        first_day = days[-1]
        first = per_day.get(first_day, Counts())
        if since == _start_of(first_day) or first.signins == 0:
            return total + first, 0
        calls = 0
        partial: dict[str, int] = {}
        for category in (None, *Category):
            if first.of(category) == 0:
                partial[category.value if category else TOTAL_COUNTER] = 0
                continue
            counted, used = self._count_since(first_day, since, category)
            partial[category.value if category else TOTAL_COUNTER] = counted
            calls += used
        return total + Counts(
            partial[TOTAL_COUNTER],
            partial[Category.FAILED.value],
            partial[Category.ROOT.value],
            partial[Category.NOMFA.value],
        ), calls

    def _count_since(self, day: str, since: datetime, category: Category | None) -> tuple[int, int]:
        index, hash_attribute = _index_for(category)
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index,
            "Select": "COUNT",
            "KeyConditionExpression": "#h = :day AND #at >= :since",
            "ExpressionAttributeNames": {"#h": hash_attribute, "#at": "at"},
            "ExpressionAttributeValues": {
                ":day": {"S": day},
                ":since": {"S": _since_key(since)},
            },
        }
        count = calls = 0
        while True:
            response = self._db.query(**arguments)
            calls += 1
            count += int(response.get("Count", 0))
            if "LastEvaluatedKey" not in response:
                return count, calls
            arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _pages(self, day: str, query: HistoryQuery, driving: Category | None) -> Iterator[_Page]:
        index, hash_attribute = _index_for(driving)
        names = {"#h": hash_attribute, "#at": "at"}
        values: dict[str, Any] = {":day": {"S": day}, ":since": {"S": _since_key(query.since)}}
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
            "KeyConditionExpression": "#h = :day AND #at >= :since",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,  # newest first
        }
        if conditions:
            arguments["FilterExpression"] = " AND ".join(conditions)
        collected = 0
        while True:
            if not conditions:
                # Without a filter every item read is an entry: read no more than needed.
                arguments["Limit"] = max(1, query.limit - collected)
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
    return CATEGORY_INDEXES[category], CATEGORY_DAY_ATTRIBUTES[category]


def _counts(item: dict[str, Any]) -> Counts:
    def number(name: str) -> int:
        try:
            return int(item.get(name, {}).get("N", "0"))
        except (TypeError, ValueError):
            return 0

    return Counts(
        number(TOTAL_COUNTER),
        number(Category.FAILED.value),
        number(Category.ROOT.value),
        number(Category.NOMFA.value),
    )


def _since_key(since: datetime) -> str:
    return f"{max(0, int(since.timestamp())):010d}"


def _key_time(key: dict[str, Any] | None) -> datetime | None:
    if not key:
        return None
    try:
        return datetime.fromtimestamp(int(key["at"]["S"].split("#", 1)[0]), UTC)
    except (KeyError, TypeError, ValueError):
        return None


def _start_of(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC)


def _days_newest_first(since: datetime, now: datetime) -> list[str]:
    first = since.astimezone(UTC).date()
    last = max(now.astimezone(UTC).date(), first)
    count = (last - first).days + 1
    return [(last - timedelta(days=offset)).isoformat() for offset in range(count)]
