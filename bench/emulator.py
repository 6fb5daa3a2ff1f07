"""The bench's DynamoDB: a moto server in its own process.

    .venv/bin/python -m bench.emulator --port 5000 [--partitioned]

Two changes to moto, both about the emulator's own speed, neither about results:
- Loading: moto re-measures a whole item each time it sets one attribute, to enforce
  the 400 KB item limit, which makes a 30-attribute item cost hundreds of size
  computations. The bench's items are about 1 KB, so that check is switched off.
- `--partitioned`: moto answers every Query by walking (and sorting) every item of the
  table and keeping those whose keys match; DynamoDB reads only the partition asked
  for, and in it only the sort-key range asked for. This gives moto's Query just those
  items instead of the whole table. The same items come back in the same order; only
  the cost of finding them changes.
"""

from __future__ import annotations

import argparse
import threading
from typing import Any

from moto.server import ThreadedMotoServer


def skip_item_size_check() -> None:
    from moto.dynamodb.models import dynamo_type

    dynamo_type.LimitedSizeDict.__setitem__ = dict.__setitem__  # type: ignore[assignment]


def partition_queries() -> None:
    """Make moto's Query read one partition, as DynamoDB does.

    moto 5 walks every item of the table for each Query and keeps those whose hash key
    matches. This wraps `Table.query` so that the walk sees only the items whose key
    attribute has the asked-for value, from a lookup built once per table and key
    attribute (the bench loads first and only reads afterwards). Results are the same
    items in the same order; only the cost of finding them changes.
    """
    from moto.dynamodb.comparisons import get_comparison_func
    from moto.dynamodb.models.table import Table

    original_query = Table.query
    original_all_items = Table.all_items
    local = threading.local()
    cache: dict[tuple[int, str], dict[Any, list[Any]]] = {}

    def partition(table: Table, attribute: str, value: Any) -> list[Any]:
        key = (id(table), attribute)
        if key not in cache:
            groups: dict[Any, list[Any]] = {}
            for item in original_all_items(table):
                found = item.attrs.get(attribute)
                if found is not None:
                    groups.setdefault(found, []).append(item)
            cache[key] = groups
        return cache[key].get(value, [])

    def in_range(item: Any, condition: Any) -> bool:
        attribute, comparison, values = condition
        found = item.attrs.get(attribute)
        compare = get_comparison_func(comparison)
        return found is not None and compare(found.value, *(value.value for value in values))

    def all_items(self: Table) -> Any:
        wanted = getattr(local, "wanted", None)
        if wanted is None or wanted["table"] is not self:
            return original_all_items(self)
        items = partition(self, wanted["attribute"], wanted["value"])
        sort_key = wanted["sort_key"]
        if sort_key is None:
            return iter(items)
        # As DynamoDB reads a partition: the sort-key range only, in order, from the
        # page's start key, and no further than the page's Limit (one more, so that moto
        # still sees there is a next page and returns LastEvaluatedKey).
        name = sort_key[0]
        items = sorted(
            (item for item in items if in_range(item, sort_key)),
            key=lambda item: item.attrs[name].value,
            reverse=not wanted["forward"],
        )
        start = (wanted["start"] or {}).get(name, {}).get("S")
        if start is not None:
            items = [
                item
                for item in items
                if (item.attrs[name].value > start) == bool(wanted["forward"])
                and item.attrs[name].value != start
            ]
        if wanted["limit"]:
            items = items[: wanted["limit"] + 1]
        return iter(items)

    def query(self: Table, *args: Any, **kwargs: Any) -> Any:
        conditions = kwargs.get("hash_key_conditions") or []
        ranges = kwargs.get("range_key_conditions") or []
        single = len(ranges) == 1 and get_comparison_func(ranges[0][1]) is not None
        local.wanted = (
            {
                "table": self,
                "attribute": conditions[0][0],
                "value": conditions[0][1],
                "sort_key": ranges[0] if single else None,
                # moto's positional order: hash_key, range_comparison, range_objs,
                # limit, exclusive_start_key, scan_index_forward, ...
                "limit": args[3] if len(args) > 3 else None,
                "start": args[4] if len(args) > 4 else None,
                "forward": args[5] if len(args) > 5 else True,
            }
            if len(conditions) == 1
            else None
        )
        try:
            return original_query(self, *args, **kwargs)
        finally:
            local.wanted = None

    Table.query = query  # type: ignore[method-assign]
    Table.all_items = all_items  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--partitioned", action="store_true")
    args = parser.parse_args()
    skip_item_size_check()
    if args.partitioned:
        partition_queries()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=args.port, verbose=False)
    server.start()
    threading.Event().wait()


if __name__ == "__main__":
    main()
