"""Which regions `manage.py deploy` forwards sign-ins from, kept in the ledger table so
the watchdog checks exactly the rules deploy created (one item per env)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.store.schema import forwarding_key


def read_forwarding(dynamodb: Any, table: str, env: str) -> dict[str, str]:
    """Source region -> the region it forwards to."""
    item = dynamodb.get_item(TableName=table, Key=forwarding_key(env), ConsistentRead=True)
    regions = item.get("Item", {}).get("regions", {}).get("M", {})
    return {source: value["S"] for source, value in regions.items()}


def record_forwarding(dynamodb: Any, table: str, env: str, routes: Mapping[str, str]) -> bool:
    """Remember `routes`; True when that changed what was stored."""
    if read_forwarding(dynamodb, table, env) == dict(routes):
        return False
    item = {
        **forwarding_key(env),
        "regions": {"M": {source: {"S": target} for source, target in sorted(routes.items())}},
    }
    dynamodb.put_item(TableName=table, Item=item)
    return True
