"""Gather: one consistent read of everything the decision needs (the event's own item,
window slices, bursts, place markers), as a snapshot the pure `decide` reads from."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from chalicelib.store.attributes import BATCH_GET_LIMIT

# Unprocessed keys (throttling) are asked again this often before giving up: a decision
# on a partial read would be wrong, so the sign-in fails and Lambda retries it.
READ_ROUNDS = 4

ItemKey = tuple[str, str]


def key_of(key: Mapping[str, Any]) -> ItemKey:
    return (key["pk"]["S"], key["sk"]["S"])


class IncompleteRead(Exception):
    """DynamoDB left keys unread: nothing was written, the sign-in can be retried."""


@dataclass(frozen=True)
class Snapshot:
    items: Mapping[ItemKey, Mapping[str, Any]] = field(default_factory=dict)

    def get(self, key: Mapping[str, Any]) -> Mapping[str, Any] | None:
        return self.items.get(key_of(key))


class Gatherer:
    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._db = dynamodb
        self._table = table_name

    def gather(self, keys: Iterable[Mapping[str, Any]]) -> Snapshot:
        unique = {key_of(key): dict(key) for key in keys}
        wanted = list(unique.values())
        found: dict[ItemKey, Mapping[str, Any]] = {}
        for start in range(0, len(wanted), BATCH_GET_LIMIT):
            request: dict[str, Any] = {
                self._table: {
                    "Keys": wanted[start : start + BATCH_GET_LIMIT],
                    "ConsistentRead": True,
                }
            }
            for _ in range(READ_ROUNDS):
                response = self._db.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self._table, []):
                    found[key_of(item)] = item
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
            if request:
                raise IncompleteRead(f"{len(request[self._table]['Keys'])} keys left unread")
        return Snapshot(found)
