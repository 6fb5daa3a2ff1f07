"""Make moto's DynamoDB transactions cost what they touch, not the size of the table.

To be able to roll back, moto 5.2 deep-copies every table a `TransactWriteItems` names,
whole, once per item in the transaction. Each sign-in is one transaction on the
ledger, so a test that sends a few hundred sign-ins spends most of its time copying
the items of the ones before it. With this, moto keeps a copy of only the items the
transaction writes, and puts those back when it fails: what a rollback needs, and what
DynamoDB guarantees.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def quick_transactions() -> Iterator[None]:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    original: Any = DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved = [_save(self, item) for item in transact_items]
        Table.__deepcopy__ = _same_table  # type: ignore[attr-defined]
        try:
            original(self, transact_items)
        except Exception:
            for table, hash_key, range_key, before in reversed([s for s in saved if s]):
                _put_back(table, hash_key, range_key, before)
            raise
        finally:
            del Table.__deepcopy__  # type: ignore[attr-defined]

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    try:
        yield
    finally:
        DynamoDBBackend.transact_write_items = original  # type: ignore[method-assign]


def _same_table(table: Any, memo: dict[int, Any]) -> Any:
    return table  # the rollback copy: the items that change are kept by `_save`


def _save(backend: Any, transact_item: dict[str, Any]) -> tuple[Any, Any, Any, Any] | None:
    """The table, the key and a copy of the item (None when absent) that an operation
    of the transaction may write; None when moto will refuse the operation anyway."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    try:
        [(kind, operation)] = transact_item.items()
        table = backend.tables[operation["TableName"]]
        key = operation["Item"] if kind == "Put" else operation["Key"]
        hash_key = DynamoType(key[table.hash_key_attr])
        range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
    except (KeyError, TypeError, ValueError):
        return None
    return table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))


def _put_back(table: Any, hash_key: Any, range_key: Any, before: Any) -> None:
    if before is None:
        table.delete_item(hash_key, range_key)
    elif range_key is not None:
        table.items[hash_key][range_key] = before
    else:
        table.items[hash_key] = before
