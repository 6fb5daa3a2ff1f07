"""The bench's DynamoDB: a moto server in its own process.

    .venv/bin/python -m bench.emulator --port 5000 [--partitioned]

What every test's moto has (`localdev.fast_moto`: transactions, update parsing,
answers as JSON, projections), and two changes of the bench's own, about the
emulator's speed, none about results:
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
import bisect
import threading
from collections.abc import Callable
from typing import Any

from moto.server import ThreadedMotoServer

from localdev import fast_moto


def skip_item_size_check() -> None:
    from moto.dynamodb.models import dynamo_type

    dynamo_type.LimitedSizeDict.__setitem__ = dict.__setitem__  # type: ignore[assignment]


def partition_queries() -> Callable[[], None]:
    """Make moto's Query read one partition's sort-key range, as DynamoDB does.

    moto 5 walks every item of the table for each Query and keeps those whose hash key
    matches. This wraps `Table.query` so that the walk sees only the items of the
    asked-for partition and, in it, the sort-key range asked for, from the page's start
    key on and no further than the page's Limit: from a lookup built once per table,
    key attribute and sort attribute (the bench loads first and only reads afterwards),
    each partition sorted by its sort key and entered by bisection. Results are the
    same items in the same order; only the cost of finding them changes. Returns the
    function that undoes it.
    """
    from moto.dynamodb.models.table import Table

    original_query = Table.query
    original_all_items = Table.all_items
    local = threading.local()
    cache: dict[tuple[int, str, str | None], dict[Any, tuple[list[Any], list[Any]]]] = {}

    def partition(
        table: Table, attribute: str, value: Any, sort_name: str | None
    ) -> tuple[list[Any], list[Any]]:
        """(sort values, items) of one partition, in sort-key order."""
        key = (id(table), attribute, sort_name)
        if key not in cache:
            groups: dict[Any, list[Any]] = {}
            for item in original_all_items(table):
                found = item.attrs.get(attribute)
                if found is not None and (sort_name is None or sort_name in item.attrs):
                    groups.setdefault(found, []).append(item)
            built = {}
            for group, items in groups.items():
                if sort_name is not None:
                    items.sort(key=lambda item: item.attrs[sort_name].value)
                sort_values = [item.attrs[sort_name].value for item in items] if sort_name else []
                built[group] = (sort_values, items)
            cache[key] = built
        return cache[key].get(value, ([], []))

    def bounds(sort_values: list[Any], condition: Any) -> tuple[int, int]:
        _, comparison, values = condition
        comparison = comparison.upper()
        operands = [value.value for value in values]
        low, high = 0, len(sort_values)
        if comparison in ("GE", ">="):
            low = bisect.bisect_left(sort_values, operands[0])
        elif comparison in ("GT", ">"):
            low = bisect.bisect_right(sort_values, operands[0])
        elif comparison in ("LE", "<="):
            high = bisect.bisect_right(sort_values, operands[0])
        elif comparison in ("LT", "<"):
            high = bisect.bisect_left(sort_values, operands[0])
        elif comparison in ("EQ", "="):
            low = bisect.bisect_left(sort_values, operands[0])
            high = bisect.bisect_right(sort_values, operands[0])
        elif comparison == "BETWEEN":
            low = bisect.bisect_left(sort_values, operands[0])
            high = bisect.bisect_right(sort_values, operands[1])
        elif comparison == "BEGINS_WITH":
            low = bisect.bisect_left(sort_values, operands[0])
            high = bisect.bisect_left(sort_values, operands[0] + "\U0010ffff")
        return low, high

    def all_items(self: Table) -> Any:
        wanted = getattr(local, "wanted", None)
        if wanted is None or wanted["table"] is not self:
            return original_all_items(self)
        sort_key = wanted["sort_key"]
        name = sort_key[0] if sort_key else None
        sort_values, items = partition(self, wanted["attribute"], wanted["value"], name)
        if sort_key is None:
            return iter(items)
        low, high = bounds(sort_values, sort_key)
        start = (wanted["start"] or {}).get(name, {}).get("S")
        forward = bool(wanted["forward"])
        if start is not None:
            if forward:
                low = max(low, bisect.bisect_right(sort_values, start))
            else:
                high = min(high, bisect.bisect_left(sort_values, start))
        # One more than the Limit, so that moto still sees there is a next page.
        count = wanted["limit"] + 1 if wanted["limit"] else high - low
        if forward:
            return iter(items[low : min(high, low + count)])
        return iter(items[max(low, high - count) : high])

    def query(self: Table, *args: Any, **kwargs: Any) -> Any:
        conditions = kwargs.get("hash_key_conditions") or []
        ranges = kwargs.get("range_key_conditions") or []
        local.wanted = (
            {
                "table": self,
                "attribute": conditions[0][0],
                "value": conditions[0][1],
                "sort_key": ranges[0] if len(ranges) == 1 else None,
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

    def undo() -> None:
        Table.query = original_query  # type: ignore[method-assign]
        Table.all_items = original_all_items  # type: ignore[method-assign]

    Table.query = query  # type: ignore[method-assign]
    Table.all_items = all_items  # type: ignore[method-assign]
    return undo


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--partitioned", action="store_true")
    args = parser.parse_args()
    skip_item_size_check()
    fast_moto.install()
    if args.partitioned:
        partition_queries()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=args.port, verbose=False)
    server.start()
    threading.Event().wait()


if __name__ == "__main__":
    main()
