"""moto 5.2 as strict as DynamoDB about an item's size, on every write.

DynamoDB refuses a write that would leave an item over 400 KB: UpdateItem with a
ValidationException ("Item size to update has exceeded the maximum allowed size"),
TransactWriteItems by cancelling the transaction with a `ValidationError` reason on
that item. moto checks a PutItem, but an update that grows an item (an `ADD` to a
set, a `SET` of a longer string) is never measured: a store whose items grow with the
organization would pass every test and fail on AWS. `install()` measures the item
after every update, as moto measures a put, and refuses as DynamoDB does; tests, the
demo and the rehearsal run with it.
"""

from __future__ import annotations

import copy
import json
import threading
from typing import Any

from localdev.fast_moto import put_back

# The bound moto's own put checks (DynamoDB's 400 KB, names and values as moto counts).
ITEM_SIZE_LIMIT = 405_000
TOO_LARGE = "Item size to update has exceeded the maximum allowed size"

_lock = threading.Lock()
_in_transaction = threading.local()
_installed = False


class ValidationError(Exception):
    """An update refused inside a transaction: moto's TransactWriteItems names each
    failed item's reason by its exception's class, and DynamoDB's is `ValidationError`."""


def _measure_updates() -> None:
    from moto.dynamodb import models
    from moto.dynamodb.exceptions import ItemSizeToUpdateTooLarge

    backend = models.DynamoDBBackend
    update_item = backend.update_item
    transact_write_items = backend.transact_write_items

    def measured_update(
        self: Any, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any
    ) -> Any:
        table = self.get_table(table_name)
        hash_key, range_key = self.get_keys_value(table, key)
        before = table.get_item(hash_key, range_key)
        # A copy to put back only when this update could cross the limit: most items
        # are far from it, and a deep copy of each would slow every test.
        # (An update's values at most double what it holds: none of ours copies an
        # attribute into another.)
        request = len(json.dumps([args, kwargs], default=str))
        reach = (before.size() if before is not None else 0) + 2 * request
        saved = copy.deepcopy(before) if reach > ITEM_SIZE_LIMIT else None
        item = update_item(self, table_name, key, *args, **kwargs)
        if item is None or item.size() <= ITEM_SIZE_LIMIT:
            return item
        if getattr(_in_transaction, "active", False):
            raise ValidationError(TOO_LARGE)  # the transaction puts every item back
        put_back(table, hash_key, range_key, saved if before is not None else None)
        raise ItemSizeToUpdateTooLarge()

    def transaction(self: Any, transact_items: list[dict[str, Any]]) -> None:
        _in_transaction.active = True
        try:
            transact_write_items(self, transact_items)
        finally:
            _in_transaction.active = False

    backend.update_item = measured_update  # type: ignore[method-assign]
    backend.transact_write_items = transaction  # type: ignore[method-assign]


def install() -> None:
    """Once per process; idempotent."""
    global _installed
    with _lock:
        if not _installed:
            _measure_updates()
            _installed = True
