"""New places: the first successful sign-in of a principal from a source IP or a
country not seen for it before, and two countries within an hour ("impossible travel").

What users want from this is "alice signed in from somewhere new", not a flood when the
app is first deployed. So a principal with no history at all is recorded silently: its
first sign-in sets the baseline, and only later sign-ins can be "new". Only successful
sign-ins count: during an attack every failing IP is "new", and the burst alerts tell
that story. Trusted networks, `AWS Internal`, private and invalid addresses are never
new and have no country.

Every check is a conditional put that remembers which event first saw the place, so a
Lambda retry of the same event gets the same answer instead of "already seen".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from chalicelib.judge.geo import country_of, public_address
from chalicelib.judge.places import Places
from chalicelib.signin.parse import Result, SignIn
from chalicelib.store.schema import DAY_SECONDS, TTL_ATTRIBUTE, expires_at, place_key

# A place not seen for this long is new again (and its item expires).
PLACE_MEMORY_DAYS = 400


class PlaceStore:
    def __init__(
        self,
        dynamodb: Any,
        table_name: str,
        *,
        trusted: Callable[[SignIn], bool],
        travel_minutes: int,
    ) -> None:
        self._db = dynamodb
        self._table = table_name
        self._trusted = trusted
        self._travel_seconds = travel_minutes * 60

    def check(self, signin: SignIn) -> Places:
        if signin.outcome is not Result.SUCCESS:
            return Places()
        address = public_address(signin.source_ip)
        if address is None or self._trusted(signin):
            return Places()
        country = country_of(address)
        epoch = int(signin.event_time.timestamp())
        baseline = self._first_seen(signin, "PRINCIPAL", epoch)
        new_ip = self._first_seen(signin, f"IP#{address}", epoch)
        new_country = bool(country) and self._first_seen(signin, f"COUNTRY#{country}", epoch)
        travel_from, minutes = (None, 0)
        if country:
            travel_from, minutes = self._travel(signin, country, epoch)
        if baseline:
            return Places(country=country, baseline=True)
        return Places(
            new_ip=new_ip,
            new_country=new_country,
            country=country,
            travel_from=travel_from,
            travel_minutes=minutes,
        )

    def _first_seen(self, signin: SignIn, sort_key: str, epoch: int) -> bool:
        """True when this event is the first to see the place (also on its retries)."""
        try:
            self._db.put_item(
                TableName=self._table,
                Item={
                    **place_key(signin.principal_key, sort_key),
                    "first_event_id": {"S": signin.event_id},
                    "first_epoch": {"N": str(epoch)},
                    TTL_ATTRIBUTE: expires_at(epoch, PLACE_MEMORY_DAYS * DAY_SECONDS),
                },
                ConditionExpression="attribute_not_exists(pk)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self._db.exceptions.ConditionalCheckFailedException as error:
            old: Mapping[str, Any] = getattr(error, "response", {}).get("Item") or {}
            return bool(old.get("first_event_id", {}).get("S") == signin.event_id)
        return True

    def _travel(self, signin: SignIn, country: str, epoch: int) -> tuple[str | None, int]:
        """The principal's previous country, when it differs and was within the travel
        window. One atomic update swaps in this sign-in's country and returns the last."""
        key = place_key(signin.principal_key, "LAST_COUNTRY")
        try:
            response = self._db.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression=(
                    "SET previous_country = if_not_exists(country, :none), "
                    "previous_epoch = if_not_exists(last_epoch, :zero), "
                    "country = :country, last_epoch = :epoch, last_event_id = :event, "
                    "#ttl = :ttl"
                ),
                ConditionExpression=(
                    "attribute_not_exists(last_event_id) OR last_event_id <> :event"
                ),
                ExpressionAttributeNames={"#ttl": TTL_ATTRIBUTE},
                ExpressionAttributeValues={
                    ":country": {"S": country},
                    ":none": {"S": ""},
                    ":zero": {"N": "0"},
                    ":epoch": {"N": str(epoch)},
                    ":event": {"S": signin.event_id},
                    ":ttl": expires_at(epoch, PLACE_MEMORY_DAYS * DAY_SECONDS),
                },
                ReturnValues="ALL_OLD",
            )
            old: Mapping[str, Any] = response.get("Attributes") or {}
            previous, previous_epoch = old.get("country"), old.get("last_epoch")
        except self._db.exceptions.ConditionalCheckFailedException:
            # A retry of the event that made the last update: read what it replaced.
            item = self._db.get_item(TableName=self._table, Key=key, ConsistentRead=True)
            old = item.get("Item") or {}
            previous, previous_epoch = old.get("previous_country"), old.get("previous_epoch")
        if not previous or not previous_epoch or not previous.get("S"):
            return None, 0
        before = previous["S"]
        gap = abs(epoch - int(previous_epoch["N"]))
        if before == country or gap > self._travel_seconds or not int(previous_epoch["N"]):
            return None, 0
        return before, max(1, round(gap / 60))
