"""moto at the cost DynamoDB has: tests, the demo and the benches measure our calls,
not moto's bookkeeping. `install()` makes four changes, none to any result:

- A transaction rolls back only its own items. moto keeps a deep copy of every table
  a transaction touches, to roll back a cancelled one; with a few thousand items each
  sign-in's commit took half a second. A cancelled transaction still leaves every item
  as it was.
- An update expression is parsed once per text. moto parses each one twice per call
  (to check the names it uses, then to apply it) and validates a copy of the parse with
  the call's own names, values and item, which it still does on every call.
- Reads whose answer is items (GetItem, BatchGetItem, Query, Scan, TransactGetItems)
  answer with `json.dumps` of those items, which are DynamoDB JSON already: moto 5
  walks the API model for every attribute it returns.
- A projection of top-level names (an index's, or a ProjectionExpression) picks those
  attributes; moto converts the whole item to plain JSON and back once per projected
  name, and measures the whole item again for each attribute it sets.
"""

from __future__ import annotations

import copy
import functools
import json
import threading
from types import SimpleNamespace
from typing import Any

_lock = threading.Lock()


def put_back(table: Any, hash_key: Any, range_key: Any, old: Any) -> None:
    """An item of moto's `table` as it was (`old`, a copy; None: there was none)."""
    if old is None:
        table.delete_item(hash_key, range_key)
    elif range_key is None:
        table.items[hash_key] = old
    else:
        table.items[hash_key][range_key] = old


def _rollback_own_items() -> None:
    from moto.dynamodb import models
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    backend = models.DynamoDBBackend

    def deepcopy(value: Any, memo: Any = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    models.copy = SimpleNamespace(deepcopy=deepcopy)  # type: ignore[attr-defined,assignment]
    original = backend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved = []
        for entry in transact_items:
            _, op = next(iter(entry.items()))
            table = self.tables.get(op.get("TableName"))
            source = op.get("Item") or op.get("Key") or {}
            if table is None or table.hash_key_attr not in source:
                continue
            hash_key = DynamoType(source[table.hash_key_attr])
            range_key = None
            if table.range_key_attr:
                if table.range_key_attr not in source:
                    continue
                range_key = DynamoType(source[table.range_key_attr])
            old = table.get_item(hash_key, range_key)
            saved.append((table, hash_key, range_key, copy.deepcopy(old)))
        try:
            original(self, transact_items)
        except Exception:
            for table, hash_key, range_key, old in reversed(saved):
                put_back(table, hash_key, range_key, old)
            raise

    backend.transact_write_items = transact_write_items  # type: ignore[method-assign]


# Reads whose answers are items (DynamoDB JSON, nothing else to serialise).
ITEM_READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"})


def _items_as_json() -> None:
    from moto.dynamodb.responses import DynamoResult

    original = DynamoResult.execute_result

    def execute_result(self: DynamoResult, context: Any) -> Any:
        if context.operation_model.name not in ITEM_READS:
            return original(self, context)
        headers = {"Content-Type": "application/x-amz-json-1.0"}
        return 200, headers, json.dumps(self.result, separators=(",", ":"))

    DynamoResult.execute_result = execute_result  # type: ignore[method-assign,assignment]


def _parse_update_expressions_once() -> None:
    from moto.dynamodb.parsing import expressions

    parser: Any = expressions.UpdateExpressionParser  # type: ignore[attr-defined]
    make = parser.make

    # The parse is only read (find_clauses) or deep-copied (the validator) after.
    @functools.lru_cache(maxsize=1024)
    def parse(expression: str) -> Any:
        return make(expression)

    parser.make = staticmethod(parse)


def _project_top_level_names() -> None:
    from moto.dynamodb.models.dynamo_type import Item

    original = Item.project

    def project(self: Item, projection_expressions: list[list[str]]) -> Item:
        if any(len(expression) != 1 for expression in projection_expressions):
            return original(self, projection_expressions)
        projected = Item(hash_key=self.hash_key, range_key=self.range_key, attrs={})
        # Shared, not copied (the result is only read); and not measured attribute by
        # attribute against the 400 KB limit, as part of an item is no larger than it.
        picked = {name: self.attrs[name] for [name] in projection_expressions if name in self.attrs}
        dict.update(projected.attrs, picked)
        return projected

    Item.project = project  # type: ignore[method-assign]


_installed = False


def install() -> None:
    """Once per process; idempotent."""
    global _installed
    with _lock:
        if _installed:
            return
        _rollback_own_items()
        _items_as_json()
        _parse_update_expressions_once()
        _project_top_level_names()
        _installed = True
