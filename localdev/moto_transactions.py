"""Make moto's TransactWriteItems cost what DynamoDB's does: the items it touches.

moto keeps a deep copy of every table a transaction touches, to roll back a cancelled
one; with a few thousand items each sign-in's commit then takes half a second, which
real DynamoDB never does. `install()` rolls back only the transaction's own items
instead (same outcome: a cancelled transaction leaves every item as it was), so tests,
the demo and the benches measure our calls, not moto's copying.
"""

from __future__ import annotations

import copy
import threading
from types import SimpleNamespace
from typing import Any

_lock = threading.Lock()


def install() -> None:
    from moto.dynamodb import models
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    with _lock:
        backend = models.DynamoDBBackend
        if getattr(backend, "_rolls_back_items_only", False):
            return

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
                    if old is None:
                        table.delete_item(hash_key, range_key)
                    elif range_key is None:
                        table.items[hash_key] = old
                    else:
                        table.items[hash_key][range_key] = old
                raise

        backend.transact_write_items = transact_write_items  # type: ignore[method-assign]
        backend._rolls_back_items_only = True  # type: ignore[attr-defined]
