"""Reads recent sign-ins from the ledger for `/recent-logins`: Query on indexes only.

Every command is answered whole in a few calls, whatever the size of the table:
- the window's counts: one BatchGetItem of the days' counter items (the first day's
  hourly counters in the same read), and one Query of the part of the hour the window
  starts in, which is exact to the second;
- the listing: one Query, newest first, on the index of all sign-ins or of the rarest
  category asked for;
- an account alone is read from its own partition (of the rarest category asked for);
- a name (WHO) first resolves through the principal catalog (its 64 first pages read
  with the counters; further pages only past about 70,000 principals): a name that
  matches no principal costs nothing more; the others are read from their own
  partitions (by name or account, of a category when one is asked for), newest first,
  no further than the window, as `plan` decides; more names than calls are left, from
  the principals' rings of newest sign-ins (`rings`) when they prove the answer.
Listings ask only for what a reply shows (`ENTRY_ATTRIBUTES`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from chalicelib.clock import Clock
from chalicelib.recent_logins.counts import (
    Reader,
    days_newest_first,
    numbers_of,
    since_key,
    start_of,
    window_counts,
)
from chalicelib.recent_logins.plan import (
    Partition,
    account_partition,
    matches,
    principal_plan,
    time_partition,
)
from chalicelib.recent_logins.queries import Counts, Entry, History, HistoryQuery
from chalicelib.recent_logins.rings import calls_needed, from_rings
from chalicelib.store.catalog_pages import first_page_keys, further_page_keys
from chalicelib.store.directory import catalog_principals
from chalicelib.store.indexes import CATEGORY_INDEXES, ENTRY_ATTRIBUTES
from chalicelib.store.schema import Category, day_counter_key

# DynamoDB calls one command may make: the counts take two (the catalog in the first
# when the keys fit), and the listing what is left. A name part that matches more
# partitions than that is answered from its principals' rings (two calls), or when
# they cannot prove it, from the index of all sign-ins, filtered.
MAX_CALLS = 5


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
        # The catalog, when the command resolves names through it, in the same read.
        shards: list[dict[str, Any]] = []
        catalog = first_page_keys() if _needs_catalog(query) else []
        per_day, window = window_counts(reader, days, query.since, catalog, shards)
        matched = None if query.unindexed else window.of(query.categories)
        entries: list[Entry] = []
        retained = window.recorded
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
            retained = sum((counts.recorded for counts in per_day.values()), 0)
            rest = reader.batch_get([day_counter_key(day) for day in older]) if older else []
            retained += sum(Counts.from_values(numbers_of(item)).recorded for item in rest)
        elif query.unindexed:
            entries = _by_principal(reader, query, window, shards)
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
    partition = time_partition(query.categories, window)
    start = query.since
    if len(query.categories) > 1:
        found = 0
        for day in sorted(per_day, reverse=True):
            found += per_day[day].of(query.categories)
            if found >= query.limit:
                start = max(query.since, start_of(day))
                break
    return list(_read(reader, partition, query.limit, start))


def _needs_catalog(query: HistoryQuery) -> bool:
    """One account alone needs no catalog (an OU's several do: the catalog says which
    of them signed in)."""
    return query.unindexed and not (not query.who and len(query.account_ids) == 1)


def _by_principal(
    reader: Reader, query: HistoryQuery, window: Counts, shards: list[dict[str, Any]]
) -> list[Entry]:
    """WHO (and perhaps an account): the catalog (read with the counters) says which
    principals match; only their partitions are read, or, when they are more than the
    calls left, their directory items' rings of newest sign-ins (`rings`)."""
    if not _needs_catalog(query):
        return list(_read(reader, account_partition(query, window), query.limit, query.since))
    further = further_page_keys(shards)  # a catalog past its first pages
    if further:
        shards = shards + reader.batch_get(further)
    everyone, others = catalog_principals(shards, query.who, query.account_id)
    budget = MAX_CALLS - reader.calls
    matched = [principal for principal in everyone if matches(principal, query)]
    names = {principal.name for principal in matched}
    if query.who and len(names) > budget and calls_needed(matched) <= budget:
        found = from_rings(reader, query, matched)
        if found is not None:
            return found
        budget = MAX_CALLS - reader.calls
    partitions = principal_plan(query, everyone, window, budget=budget, others=others)
    entries: list[Entry] = []
    for partition in sorted(partitions, key=lambda partition: -partition.newest):
        if len(entries) >= query.limit and partition.newest < _epoch(entries[query.limit - 1]):
            break  # nothing it holds is newer than what is already found
        entries.extend(_read(reader, partition, query.limit, query.since))
        entries.sort(key=lambda entry: (entry.event_time, entry.event_id), reverse=True)
    return entries


def _read(reader: Reader, partition: Partition, limit: int, since: datetime) -> Iterator[Entry]:
    """Up to `limit` entries of one partition, newest first, no older than `since`."""
    names = {"#h": partition.hash_attribute, "#at": "at"}
    values: dict[str, Any] = {
        ":partition": {"S": partition.value},
        ":since": {"S": since_key(since)},
    }
    conditions = []
    for number, (attribute, operator, value) in enumerate(partition.filters):
        names[f"#f{number}"] = attribute
        if operator == "in":
            conditions.append(_any_of(f"#f{number}", f":f{number}", value.split(), values))
            continue
        values[f":f{number}"] = {"S": value}
        if operator == "contains":
            conditions.append(f"contains(#f{number}, :f{number})")
        else:
            conditions.append(f"#f{number} {operator} :f{number}")
    wanted = list(ENTRY_ATTRIBUTES)
    if partition.index == CATEGORY_INDEXES[Category.CHANGES]:
        wanted.append("change")  # what it changed (that index projects every attribute)
    names |= {f"#p{number}": name for number, name in enumerate(wanted)}
    arguments: dict[str, Any] = {
        "IndexName": partition.index,
        "KeyConditionExpression": "#h = :partition AND #at >= :since",
        # `at` too: a sign-in whose record has no time is listed by when it arrived.
        "ProjectionExpression": ", ".join(["#at", *(f"#p{n}" for n in range(len(wanted)))]),
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

# DynamoDB's IN takes at most 100 values: more are OR-ed groups of 100.
IN_LIMIT = 100


def _any_of(name: str, prefix: str, options: list[str], values: dict[str, Any]) -> str:
    groups = []
    for start in range(0, len(options), IN_LIMIT):
        placeholders = []
        for number, option in enumerate(options[start : start + IN_LIMIT], start=start):
            values[f"{prefix}_{number}"] = {"S": option}
            placeholders.append(f"{prefix}_{number}")
        groups.append(f"{name} IN ({', '.join(placeholders)})")
    return groups[0] if len(groups) == 1 else "(" + " OR ".join(groups) + ")"


def _epoch(entry: Entry) -> int:
    return int(entry.event_time.timestamp())
