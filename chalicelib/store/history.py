"""Reads recent sign-ins from the ledger for `/recent-logins`: Query on indexes only.

Every command is answered whole in a few calls, whatever the size of the table:
- the window's counts: one BatchGetItem of the days' counter items (the first day's
  hourly counters in the same read), and one Query of the part of the hour the window
  starts in, which is exact to the second;
- the listing: one Query, newest first, on the index of all sign-ins or of the rarest
  category asked for;
- a name (WHO) or an account first resolves through the principal directory (one
  Query): principals that never matched, or did not sign in within the window, cost
  nothing more; the others are read from their own partitions (by name or account),
  newest first, no further than the window.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib.clock import Clock
from chalicelib.store.directory import Principal
from chalicelib.store.history_counts import (
    Reader,
    days_newest_first,
    numbers_of,
    since_key,
    start_of,
    window_counts,
)
from chalicelib.store.history_query import Counts, Entry, History, HistoryQuery
from chalicelib.store.schema import (
    ACCOUNT_INDEX,
    ACCOUNT_PARTITION_ATTRIBUTE,
    CATEGORY_INDEXES,
    CATEGORY_PARTITION_ATTRIBUTES,
    DIRECTORY_INDEX,
    DIRECTORY_PARTITION,
    DIRECTORY_PARTITION_ATTRIBUTE,
    LISTED,
    NAME_INDEX,
    NAME_PARTITION_ATTRIBUTE,
    SIGNIN_INDEX,
    SIGNIN_PARTITION_ATTRIBUTE,
    Category,
    day_counter_key,
)

# DynamoDB calls one command may make: the counts take two, the directory one, and the
# listing what is left. A name that matches more partitions than that is read from the
# index of all sign-ins instead, filtered.
MAX_CALLS = 5


@dataclass(frozen=True)
class _Partition:
    """One index partition to read newest first, and what to filter in it."""

    index: str
    hash_attribute: str
    value: str
    filters: tuple[tuple[str, str, str], ...] = ()  # (attribute, operator, value)
    newest: int = 2**62  # the newest sign-in it can hold (epoch), from the directory
    density: float = 1.0  # the share of its sign-ins that match


class SigninHistory:
    def __init__(
        self, dynamodb: Any, table_name: str, *, clock: Clock, retention_days: int = 90
    ) -> None:
        self._db = dynamodb
        self._table = table_name
        self._clock = clock
        self._retention = timedelta(days=retention_days)

    def recent(self, query: HistoryQuery) -> History:
        now = self._clock()
        reader = Reader(self._db, self._table)
        days = days_newest_first(query.since, now)
        per_day, window = window_counts(reader, days, query.since)
        matched = None if query.unindexed else window.of(query.categories)
        entries: list[Entry] = []
        retained = window.signins
        if retained == 0:
            # A quiet window: is the ledger empty, or only this window? Rare, so only
            # now read the rest of the retention period's counters.
            older = [
                day
                for day in days_newest_first(now - self._retention, now)
                if day not in per_day and day < days[-1]
            ]
            # The window's days count whole: the first may hold sign-ins before `since`.
            # The older days are read even then, in place of the listing's call: a
            # command makes the same calls whatever the table holds.
            retained = sum((counts.signins for counts in per_day.values()), 0)
            rest = reader.batch_get([day_counter_key(day) for day in older]) if older else []
            retained += sum(Counts.from_values(numbers_of(item)).signins for item in rest)
        elif query.unindexed:
            entries = _by_principal(reader, query, window)
        elif matched:
            entries = _by_time(reader, query, per_day, window)
        return History(
            entries=tuple(entries[: query.limit]),
            window=window,
            matched=matched,
            retained=retained,
            since=query.since,
            calls=reader.calls,
        )


def _by_time(
    reader: Reader, query: HistoryQuery, per_day: Mapping[str, Counts], window: Counts
) -> list[Entry]:
    """No name or account: the index of all sign-ins, or of the rarest category asked
    for (the others filter it, from the day the counters say enough match)."""
    partition = _time_partition(query.categories, window)
    start = query.since
    if len(query.categories) > 1:
        found = 0
        for day in sorted(per_day, reverse=True):
            found += per_day[day].of(query.categories)
            if found >= query.limit:
                start = max(query.since, start_of(day))
                break
    return list(_read(reader, partition, query.limit, start))


def _driving(categories: frozenset[Category], window: Counts) -> Category | None:
    """The category with the fewest sign-ins in the window: its index is read."""
    if not categories:
        return None
    return min(categories, key=lambda category: window.of(frozenset({category})))


def _time_partition(
    categories: frozenset[Category], window: Counts, extra: Iterable[tuple[str, str, str]] = ()
) -> _Partition:
    filters = list(extra)
    if not categories:
        return _Partition(SIGNIN_INDEX, SIGNIN_PARTITION_ATTRIBUTE, LISTED, tuple(filters))
    driving = _driving(categories, window)
    assert driving is not None
    filters += [("categories", "contains", other.value) for other in sorted(categories - {driving})]
    density = window.of(categories) / max(1, window.of(frozenset({driving})))
    return _Partition(
        CATEGORY_INDEXES[driving],
        CATEGORY_PARTITION_ATTRIBUTES[driving],
        LISTED,
        tuple(filters),
        density=density,
    )


def _by_principal(reader: Reader, query: HistoryQuery, window: Counts) -> list[Entry]:
    """WHO or account: the directory says which principals match and which of them
    signed in within the window; only their partitions are read."""
    since = int(query.since.timestamp())
    everyone = _directory(reader)
    wanted = [
        principal
        for principal in everyone
        if _matches(principal, query) and principal.last_seen >= since
        if principal.count(query.categories) > 0
    ]
    if not wanted:
        return []
    partitions = _principal_partitions(query, wanted, everyone)
    # The window's sign-ins (of the rarest category asked for), filtered by name or
    # account: when there are too many names to read one by one, or when the
    # directory's counts say more of what it holds match.
    shared = _shared_partition(query, wanted, everyone, window)
    budget = MAX_CALLS - reader.calls
    if len(partitions) > budget or shared.density > min(p.density for p in partitions):
        partitions = [shared]
    entries: list[Entry] = []
    for partition in sorted(partitions, key=lambda partition: -partition.newest):
        if len(entries) >= query.limit and partition.newest < _epoch(entries[query.limit - 1]):
            break  # nothing it holds is newer than what is already found
        entries.extend(_read(reader, partition, query.limit, query.since))
        entries.sort(key=lambda entry: (entry.event_time, entry.event_id), reverse=True)
    return entries


def _shared_partition(
    query: HistoryQuery, wanted: list[Principal], everyone: list[Principal], window: Counts
) -> _Partition:
    extra = [("who", "contains", query.who)] if query.who else []
    if query.account_id:
        extra.append(("account_id", "=", query.account_id))
    partition = _time_partition(query.categories, window, extra)
    driving = _driving(query.categories, window)
    held = sum(p.count([driving] if driving else []) for p in everyone)
    matching = sum(p.count(query.categories) for p in wanted)
    return replace(
        partition,
        newest=max(p.last_seen for p in wanted),
        density=matching / max(1, held),
    )


def _matches(principal: Principal, query: HistoryQuery) -> bool:
    if query.account_id and principal.account_id != query.account_id:
        return False
    return not query.who or query.who in principal.who


def _principal_partitions(
    query: HistoryQuery, wanted: list[Principal], everyone: list[Principal]
) -> list[_Partition]:
    category_filters = tuple(
        ("categories", "contains", category.value) for category in sorted(query.categories)
    )
    if not query.who:
        # An account alone is one partition of the account index.
        signins = sum(p.count() for p in everyone if p.account_id == query.account_id)
        matching = sum(p.count(query.categories) for p in wanted)
        return [
            _Partition(
                ACCOUNT_INDEX,
                ACCOUNT_PARTITION_ATTRIBUTE,
                query.account_id,
                category_filters,
                newest=max(p.last_seen for p in wanted),
                density=matching / max(1, signins),
            )
        ]
    partitions = []
    for name in sorted({p.name for p in wanted}):
        mine = [p for p in wanted if p.name == name]
        sharing = [p for p in everyone if p.name == name]
        filters = category_filters
        if len(mine) < len(sharing):  # the name's partition holds others too
            filters += (("who", "contains", query.who),)
            if query.account_id:
                filters += (("account_id", "=", query.account_id),)
        partitions.append(
            _Partition(
                NAME_INDEX,
                NAME_PARTITION_ATTRIBUTE,
                name,
                filters,
                newest=max(p.last_seen for p in mine),
                density=sum(p.count(query.categories) for p in mine)
                / max(1, sum(p.count() for p in sharing)),
            )
        )
    return partitions


def _directory(reader: Reader) -> list[Principal]:
    """Every principal ever seen: one Query (1 MB holds thousands of them; a
    projection would not make it read fewer)."""
    arguments: dict[str, Any] = {
        "IndexName": DIRECTORY_INDEX,
        "KeyConditionExpression": "#h = :directory",
        "ExpressionAttributeNames": {"#h": DIRECTORY_PARTITION_ATTRIBUTE},
        "ExpressionAttributeValues": {":directory": {"S": DIRECTORY_PARTITION}},
    }
    principals: list[Principal] = []
    while True:
        response = reader.query(**arguments)
        principals.extend(Principal.from_item(item) for item in response.get("Items", []))
        if "LastEvaluatedKey" not in response:
            return principals
        arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _read(reader: Reader, partition: _Partition, limit: int, since: datetime) -> Iterator[Entry]:
    """Up to `limit` entries of one partition, newest first, no older than `since`."""
    names = {"#h": partition.hash_attribute, "#at": "at"}
    values: dict[str, Any] = {
        ":partition": {"S": partition.value},
        ":since": {"S": since_key(since)},
    }
    conditions = []
    for number, (attribute, operator, value) in enumerate(partition.filters):
        names[f"#f{number}"] = attribute
        values[f":f{number}"] = {"S": value}
        if operator == "contains":
            conditions.append(f"contains(#f{number}, :f{number})")
        else:
            conditions.append(f"#f{number} {operator} :f{number}")
    arguments: dict[str, Any] = {
        "IndexName": partition.index,
        "KeyConditionExpression": "#h = :partition AND #at >= :since",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
        "ScanIndexForward": False,  # newest first
    }
    if conditions:
        arguments["FilterExpression"] = " AND ".join(conditions)
    found = 0
    while found < limit:
        if not conditions:
            # Without a filter every item read is an entry: read no more than needed.
            arguments["Limit"] = limit - found
        # A filtered read takes DynamoDB's whole pages (1 MB, thousands of index
        # items): a Limit guessed from how often items match would need a second call
        # whenever matches cluster, as they do in a storm.
        response = reader.query(**arguments)
        for item in response.get("Items", []):
            found += 1
            yield Entry.from_item(item)
        last = response.get("LastEvaluatedKey")
        if last is None:
            return
        arguments["ExclusiveStartKey"] = last


# -- helpers --------------------------------------------------------------------------


def _epoch(entry: Entry) -> int:
    return int(entry.event_time.timestamp())
