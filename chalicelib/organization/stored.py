"""The organization's copy in the ledger: one item (`schema.organization_key`), its
accounts as compressed JSON in base64 (500 accounts take about 10 KB; DynamoDB's 400 KB item
holds tens of thousands), so any container loads it in the read it already makes."""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Callable, Mapping
from typing import Any

from chalicelib.organization.roster import MemberAccount, Roster, RosterStatus
from chalicelib.store.attributes import DAY_SECONDS, Write, number, read_number
from chalicelib.store.schema import organization_key

MAX_ITEM_BYTES = 390_000  # DynamoDB's item limit, less the key and the other attributes


class RosterTooLarge(ValueError):
    """The organization does not fit one item: it is kept in memory only."""


def roster_of(item: Mapping[str, Any] | None) -> Roster | None:
    """The stored roster, or None when there is none (or it cannot be read)."""
    if not item:
        return None
    try:
        status = RosterStatus(item["status"]["S"])
        raw = item.get("accounts", {}).get("S", "")
        rows = json.loads(zlib.decompress(base64.b64decode(raw))) if raw else []
        accounts = tuple(MemberAccount(*row) for row in rows)
    except (KeyError, TypeError, ValueError, zlib.error, binascii.Error):
        return None  # written by a later version, or damaged: read Organizations again
    return Roster(
        status,
        read_number(item, "read_at"),
        organization_id=item.get("organization_id", {}).get("S", ""),
        management_account=item.get("management_account", {}).get("S", ""),
        accounts=accounts,
    )


def roster_put(table: str, roster: Roster) -> Write:
    """The write that stores `roster` (a TransactWriteItems item: it joins a commit)."""
    rows = [[a.account_id, a.name, a.state, a.ou_path] for a in roster.accounts]
    packed = base64.b64encode(zlib.compress(json.dumps(rows, separators=(",", ":")).encode(), 9))
    if len(packed) > MAX_ITEM_BYTES:
        raise RosterTooLarge(f"{len(roster.accounts)} accounts take {len(packed):,} bytes")
    item: dict[str, Any] = {
        **organization_key(),
        "status": {"S": roster.status.value},
        "read_at": number(roster.read_at),
        "organization_id": {"S": roster.organization_id},
        "management_account": {"S": roster.management_account},
        "accounts": {"S": packed.decode()},
    }
    return {"Put": {"TableName": table, "Item": item}}


class StoredRoster:
    """The ledger's copy for the readers that never wait for Organizations
    (`/recent-logins`, the digest): one GetItem per container a day (every
    `retry_seconds` while the ledger holds no organization read)."""

    def __init__(
        self,
        dynamodb: Callable[[], Any],
        table: str,
        *,
        clock: Callable[[], float],
        retry_seconds: float,
    ) -> None:
        self._dynamodb = dynamodb
        self._table = table
        self._clock = clock
        self._retry = retry_seconds
        self._roster: Roster | None = None
        self._read_at = 0.0

    def __call__(self) -> Roster:
        now = self._clock()
        roster = self._roster
        keep = DAY_SECONDS if roster is not None and roster.known else self._retry
        if roster is None or now - self._read_at >= keep:
            item = self._dynamodb().get_item(TableName=self._table, Key=organization_key())
            self._roster = roster_of(item.get("Item")) or Roster()
            self._read_at = now
        return self._roster or Roster()
