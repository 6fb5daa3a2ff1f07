"""Where a principal has signed in: `SEEN#<principal>` markers read in the sign-in's
gather and written in its commit.

`PRINCIPAL` (any sign-in at all), `IP#<address>`, `COUNTRY#<code>` and `LAST_COUNTRY`
(the latest country and when). A marker is put only if absent, so when two sign-ins
from one new place race, one commit wins and the other gathers again and finds the
place known: "new IP" is told once. Only successful sign-ins from public addresses
outside `TRUSTED_CIDRS` are looked at: during an attack every failing IP is "new", and
the burst alerts tell that story.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.judge.geo import country_of, public_address
from chalicelib.judge.places import Seen
from chalicelib.signin.parse import Result, SignIn
from chalicelib.store.attributes import (
    TTL_ATTRIBUTE,
    Write,
    epoch_of,
    expires_after,
    number,
    read_int,
)
from chalicelib.store.schema import place_key

# A place not seen for this long is new again (its marker expires).
PLACE_MEMORY_DAYS = 400
LAST_COUNTRY = "LAST_COUNTRY"

Lookup = Callable[[dict[str, Any]], Mapping[str, Any] | None]


@dataclass(frozen=True)
class PlaceCheck:
    """Which markers a sign-in is judged by."""

    principal_key: str
    address: str
    country: str | None

    def keys(self) -> list[dict[str, Any]]:
        keys = [self._key("PRINCIPAL"), self._key(f"IP#{self.address}")]
        if self.country:
            keys += [self._key(f"COUNTRY#{self.country}"), self._key(LAST_COUNTRY)]
        return keys

    def _key(self, sort_key: str) -> dict[str, Any]:
        return place_key(self.principal_key, sort_key)

    def ip_key(self) -> dict[str, Any]:
        """The marker of a successful sign-in from this IP (a failure reads it too)."""
        return self._key(f"IP#{self.address}")

    def seen(self, lookup: Lookup) -> Seen:
        last = lookup(self._key(LAST_COUNTRY)) if self.country else None
        return Seen(
            principal=lookup(self._key("PRINCIPAL")) is not None,
            ip=lookup(self._key(f"IP#{self.address}")) is not None,
            country=bool(self.country) and lookup(self._key(f"COUNTRY#{self.country}")) is not None,
            last_country=(last or {}).get("country", {}).get("S", ""),
            last_epoch=read_int(last or {}, "last_epoch"),
        )

    def writes(self, table: str, signin: SignIn, seen: Seen) -> list[Write]:
        """The markers this sign-in adds; each is put only if still absent (a lost
        race cancels the commit, and the pipeline gathers again)."""
        epoch = epoch_of(signin.event_time)
        marker = {
            "first_event_id": {"S": signin.event_id},
            "first_epoch": number(epoch),
            TTL_ATTRIBUTE: expires_after(epoch, PLACE_MEMORY_DAYS),
        }
        absent = [
            sort_key
            for sort_key, known in (
                ("PRINCIPAL", seen.principal),
                (f"IP#{self.address}", seen.ip),
                (f"COUNTRY#{self.country}", seen.country or not self.country),
            )
            if not known
        ]
        writes: list[Write] = [
            {
                "Put": {
                    "TableName": table,
                    "Item": {**self._key(sort_key), **marker},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
            for sort_key in absent
        ]
        if self.country and epoch >= seen.last_epoch:
            condition = "attribute_not_exists(pk)"
            values: dict[str, Any] = {}
            if seen.last_epoch or seen.last_country:
                condition = "last_epoch = :seen"
                values = {":seen": number(seen.last_epoch)}
            put: dict[str, Any] = {
                "TableName": table,
                "Item": {
                    **self._key(LAST_COUNTRY),
                    "country": {"S": self.country},
                    "last_epoch": number(epoch),
                    "last_event_id": {"S": signin.event_id},
                    TTL_ATTRIBUTE: expires_after(epoch, PLACE_MEMORY_DAYS),
                },
                "ConditionExpression": condition,
            }
            if values:
                put["ExpressionAttributeValues"] = values
            writes.append({"Put": put})
        return writes


def place_check(signin: SignIn, *, trusted: bool) -> PlaceCheck | None:
    """The markers to read for a successful sign-in, or None when its place is never
    new (a failure, a private or unreadable address, a trusted network)."""
    if signin.outcome is not Result.SUCCESS or trusted:
        return None
    address = public_address(signin.source_ip)
    if address is None:
        return None
    return PlaceCheck(signin.principal_key, address, country_of(address))


def failure_place(signin: SignIn) -> PlaceCheck | None:
    """A failure's place, only to read whether its principal signed in from this IP
    before (a failure writes no marker); None for a private or unreadable address."""
    address = public_address(signin.source_ip)
    if signin.outcome is not Result.FAILURE or address is None:
        return None
    return PlaceCheck(signin.principal_key, address, None)
