"""A name part that matches more names than `/recent-logins` has calls for: the
matched principals' directory items (one BatchGetItem of up to 100) hold each one's
newest sign-ins (`store.recent_ring`); their newest that match are the answer, read
with one more BatchGetItem, when the rings prove that no sign-in they leave out
could be among them. When they cannot, None: the partitions are read instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from chalicelib.recent_logins.counts import Reader, since_key
from chalicelib.recent_logins.queries import Entry, HistoryQuery
from chalicelib.store.attributes import BATCH_GET_LIMIT, read_int
from chalicelib.store.directory import Principal
from chalicelib.store.indexes import ENTRY_ATTRIBUTES
from chalicelib.store.recent_ring import RingEntry, parse_ring, ring_of
from chalicelib.store.schema import (
    CATEGORY_RINGS,
    DIRECTORY_COUNT_PREFIX,
    TOTAL_COUNTER,
    Category,
    directory_key,
    event_key,
)


@dataclass(frozen=True)
class _Ringed:
    """One principal as its directory item tells: its ring, and whether what the ring
    leaves out is known to be none of the query's."""

    entries: tuple[RingEntry, ...]
    reaches: str  # every match at or after this `at` key is among `entries`
    whole: bool  # they hold every sign-in it has of the query's categories


def calls_needed(principals: Iterable[Principal]) -> int:
    """The calls the rings take: the directory items', and the sign-ins'."""
    keys = {principal.key for principal in principals}
    return -(-len(keys) // BATCH_GET_LIMIT) + 1


def from_rings(
    reader: Reader, query: HistoryQuery, principals: list[Principal]
) -> list[Entry] | None:
    """The newest `query.limit` sign-ins of `principals` (those that match the query)
    within the window, or None when their rings cannot tell them for certain."""
    if Category.CHANGES in query.categories:
        return None  # account changes are not in the directory
    keyed = {(p.account_id, p.name, p.who) for p in principals if p.key}
    if any(not p.key and (p.account_id, p.name, p.who) not in keyed for p in principals):
        # catalogued before the rings, and not since by `reindex`: its directory item
        # cannot be named
        return None
    principals = [principal for principal in principals if principal.key]
    keys = sorted({principal.key for principal in principals})
    items = reader.batch_get([directory_key(key) for key in keys])
    if len(items) < len(keys):
        return None
    since = since_key(query.since)
    ringed = []
    for item in items:
        principal = Principal.from_item(item)
        matching = principal.count(query.categories)
        if principal.last_seen < int(query.since.timestamp()) or matching == 0:
            continue  # nothing of it in the window
        one = _ringed(item, query.categories, matching)
        if one is None:
            return None
        ringed.append(one)
    found = sorted(
        {
            entry.at: entry
            for one in ringed
            for entry in one.entries
            if entry.at >= since and _wanted(entry, query.categories)
        }.values(),
        key=lambda entry: entry.at,
        reverse=True,
    )[: query.limit]
    # What a ring leaves out is older than its oldest: out of the window, or older
    # than the last entry listed when the list is full.
    bound = found[-1].at if len(found) == query.limit else since
    if not all(one.whole or (one.reaches and one.reaches <= bound) for one in ringed):
        return None
    return _signins(reader, found)


def _ringed(item: dict[str, Any], categories: frozenset[Category], matching: int) -> _Ringed | None:
    """The principal's rings that can hold what the query lists: every sign-in's, and
    each category's asked for; how far back they hold every match, and whether all."""
    entries: dict[str, RingEntry] = {}
    reaches: list[str] = []
    whole = False
    for category in (None, *sorted(categories & CATEGORY_RINGS.keys())):
        ring = parse_ring(ring_of(item, category))
        if ring is None:
            continue  # none yet (or never: broken): the others may tell
        entries |= {entry.at: entry for entry in ring}
        kind = frozenset({category}) if category else frozenset()
        whole |= read_int(item, DIRECTORY_COUNT_PREFIX + _counter(kind)) <= len(ring)
        if ring:
            reaches.append(ring[-1].at)
    if not entries:
        return None
    mine = sum(1 for entry in entries.values() if _wanted(entry, categories))
    return _Ringed(tuple(entries.values()), min(reaches, default=""), whole or mine >= matching)


def _counter(categories: frozenset[Category]) -> str:
    return next(iter(categories)).value if categories else TOTAL_COUNTER


def _wanted(entry: RingEntry, categories: frozenset[Category]) -> bool:
    return categories <= entry.categories


def _signins(reader: Reader, found: list[RingEntry]) -> list[Entry] | None:
    if not found:
        return []
    wanted = ["at", *ENTRY_ATTRIBUTES]
    items = reader.batch_get(
        [event_key(entry.event_id) for entry in found],
        projection=wanted,
    )
    by_at = {item.get("at", {}).get("S"): item for item in items}
    if any(entry.at not in by_at for entry in found):
        return None  # gone meanwhile (its retention ended): the partitions tell
    return [Entry.from_item(by_at[entry.at]) for entry in found]
