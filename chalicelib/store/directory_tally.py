"""The directory items and catalog for many sign-ins at once, for bulk writers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.signin.parse import SignIn
from chalicelib.store.attributes import read_int
from chalicelib.store.catalog_pages import bulk_pages
from chalicelib.store.directory import describing, principal_entry
from chalicelib.store.listing import categories_of, counter_names
from chalicelib.store.recent_ring import ring_changes
from chalicelib.store.schema import (
    DIRECTORY_COUNT_PREFIX,
    catalog_shard,
    directory_key,
    ring_attribute,
)


def _epoch(signin: SignIn) -> int:
    return max(0, int(signin.event_time.timestamp()))


@dataclass
class DirectoryTally:
    """The directory items for many sign-ins at once, as the transactions would leave
    them: for bulk writers (the bench, tests) that load a ledger with BatchWriteItem."""

    _items: dict[str, dict[str, Any]] = field(default_factory=dict)
    _catalog: dict[int, set[str]] = field(default_factory=dict)

    def add(self, signin: SignIn) -> None:
        key = signin.principal_key
        self._catalog.setdefault(catalog_shard(key), set()).add(principal_entry(signin))
        at = _epoch(signin)
        item = self._items.get(key)
        if item is None:
            item = {**directory_key(key), "first_seen": {"N": str(at)}, "last_seen": {"N": "-1"}}
            self._items[key] = item
        for change in ring_changes(signin, item):  # as the sign-in's commit reads it
            item[ring_attribute(change.category)] = {"S": change.written}
        if at >= read_int(item, "last_seen"):
            item.update(describing(signin))
            item["last_seen"] = {"N": str(at)}
        if at < read_int(item, "first_seen"):
            item["first_seen"] = {"N": str(at)}
        for name in counter_names(categories_of(signin)):
            count = DIRECTORY_COUNT_PREFIX + name
            item[count] = {"N": str(read_int(item, count) + 1)}

    def items(self) -> list[dict[str, Any]]:
        catalog = [
            page
            for shard, entries in sorted(self._catalog.items())
            for page in bulk_pages(shard, entries)
        ]
        return list(self._items.values()) + catalog
