"""Failure windows in DynamoDB: what the gather reads and the commit adds.

A window is `SLICES` slice items (`COUNT#<subject>`/`<index>`) read in the sign-in's
one batch read; the commit `ADD`s the failure to its current slice. Before any burst is
open the decision depends on the exact count, so that add is conditional on the count
read (a concurrent failure cancels the commit and the pipeline gathers again); inside a
burst it is not. Spraying counts distinct user names per IP with a marker per name (a
name AWS hid is a distinct guess each time, with no marker), and keeps the real names
tried, and which of them are watched, as string sets on the slice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib.store.attributes import (
    DAY_SECONDS,
    TTL_ATTRIBUTE,
    Write,
    expires_at,
    number,
    read_int,
    read_number,
)
from chalicelib.store.schema import spray_name_key, window_slice_key
from chalicelib.storms.decision import (
    IP_ATTRIBUTE_PREFIX,
    SLICES,
    Dimension,
    Subject,
    Threshold,
    WindowCount,
)

# An item keeps per-IP counts for at most this many addresses: a storm from thousands
# of addresses still counts, without growing an item towards DynamoDB's 400 KB.
MAX_TRACKED_IPS = 100
# A spraying window or burst names at most this many real users tried (and as many
# watched ones), each name at most MAX_NAME characters.
MAX_TRACKED_NAMES = 50
MAX_NAME = 128

Lookup = Callable[[dict[str, Any]], Mapping[str, Any] | None]


class Windows:
    """The slices of each subject's window, as keys to read and counts read."""

    def __init__(self, limits: Mapping[Dimension, Threshold]) -> None:
        self.limits = limits

    def _slices(self, subject: Subject, epoch: int) -> range:
        last = epoch // self.limits[subject.dimension].slice_seconds
        return range(last - SLICES + 1, last + 1)

    def keys(self, subject: Subject, epoch: int) -> list[dict[str, Any]]:
        return [window_slice_key(subject.id, index) for index in self._slices(subject, epoch)]

    def current_key(self, subject: Subject, epoch: int) -> dict[str, Any]:
        return window_slice_key(subject.id, self._slices(subject, epoch)[-1])

    def count(self, subject: Subject, epoch: int, lookup: Lookup) -> WindowCount:
        """The window's count as read, before this sign-in."""
        items = [
            item
            for index in self._slices(subject, epoch)
            if (item := lookup(window_slice_key(subject.id, index))) is not None
        ]
        return count_of(subject, items, epoch)

    def add(
        self,
        table: str,
        subject: Subject,
        epoch: int,
        ip: str | None,
        lookup: Lookup,
        *,
        exact: bool,
        tried: Tried | None = None,
    ) -> Write:
        """Add one failure to the subject's current slice; `exact`: only if its count is
        still what was read. `tried`: the real user it tried (SPRAY)."""
        key = self.current_key(subject, epoch)
        current = lookup(key)
        window = self.limits[subject.dimension].window_seconds
        update = add_expression(
            ip if tracks_ip(current, ip) else None,
            epoch,
            ttl=epoch + window * 2 + DAY_SECONDS,
            tried=tried if tracks_name(current, tried) else None,
        )
        update.update({"TableName": table, "Key": key})
        if exact:
            if current is None:
                update["ConditionExpression"] = "attribute_not_exists(pk)"
            else:
                update["ConditionExpression"] = "n = :seen"
                update["ExpressionAttributeValues"][":seen"] = number(read_int(current, "n"))
        return {"Update": update}


def tracks_ip(item: Mapping[str, Any] | None, ip: str | None) -> bool:
    if not ip:
        return False
    if item is None or IP_ATTRIBUTE_PREFIX + ip in item:
        return True
    return sum(1 for name in item if name.startswith(IP_ATTRIBUTE_PREFIX)) < MAX_TRACKED_IPS


@dataclass(frozen=True)
class Tried:
    """A real user a spraying failure tried, and whether it is a watched or critical
    principal (decided by the plan, from the settings)."""

    name: str
    watched: bool = False


def tracks_name(item: Mapping[str, Any] | None, tried: Tried | None) -> bool:
    if tried is None:
        return False
    known = (item or {}).get("names", {}).get("SS", [])
    return tried.name[:MAX_NAME] in known or len(known) < MAX_TRACKED_NAMES


def add_expression(
    ip: str | None,
    epoch: int,
    *,
    ttl: int | None = None,
    failures: bool = False,
    n: int = 1,
    tried: Tried | None = None,
) -> dict[str, Any]:
    names: dict[str, str] = {}
    values: dict[str, Any] = {":one": number(1), ":n": number(n), ":epoch": number(epoch)}
    adds = ["n :n"]
    if ip:
        names["#ip"] = IP_ATTRIBUTE_PREFIX + ip
        adds.append("#ip :one")
    if tried is not None:
        values[":tried"] = {"SS": [tried.name[:MAX_NAME]]}
        names["#names"] = "names"  # a reserved word in expressions
        adds.append("#names :tried")
        if tried.watched:
            names["#watched"] = "watched"
            adds.append("#watched :tried")
    if failures:
        adds.append("failures :one")
    sets = ["first_epoch = if_not_exists(first_epoch, :epoch)", "last_epoch = :epoch"]
    if ttl is not None:
        names["#ttl"] = TTL_ATTRIBUTE
        values[":ttl"] = expires_at(ttl, 0)
        sets.append("#ttl = :ttl")
    update: dict[str, Any] = {
        "UpdateExpression": "ADD " + ", ".join(adds) + " SET " + ", ".join(sets),
        "ExpressionAttributeValues": values,
    }
    if names:
        update["ExpressionAttributeNames"] = names
    return update


def spray_marker(subject: Subject, user_name: str) -> dict[str, Any]:
    return spray_name_key(subject.id, user_name)


def name_is_new(item: Mapping[str, Any] | None, epoch: int) -> bool:
    """A user name adds to the distinct-names count when it has not failed from this IP
    within the window."""
    return item is None or read_number(item, "seen_until") <= epoch


def mark_name(
    table: str,
    subject: Subject,
    user_name: str,
    epoch: int,
    window: int,
    seen: Mapping[str, Any] | None,
) -> Write:
    put: dict[str, Any] = {
        "TableName": table,
        "Item": {
            **spray_marker(subject, user_name),
            "seen_until": number(epoch + window),
            TTL_ATTRIBUTE: expires_at(epoch, window + DAY_SECONDS),
        },
        "ConditionExpression": "attribute_not_exists(pk)",
    }
    if seen is not None:
        put["ConditionExpression"] = "seen_until = :seen"
        put["ExpressionAttributeValues"] = {":seen": number(read_number(seen, "seen_until"))}
    return {"Put": put}


def count_of(subject: Subject, items: Sequence[Mapping[str, Any]], epoch: int) -> WindowCount:
    """A count from slice items, or from one burst item (its running count)."""
    total = sum(read_int(item, "n") for item in items)
    firsts = [read_int(item, "first_epoch", epoch) for item in items]
    lasts = [read_int(item, "last_epoch", epoch) for item in items]
    per_ip: dict[str, int] = {}
    for item in items:
        for name, value in item.items():
            if name.startswith(IP_ATTRIBUTE_PREFIX):
                ip = name[len(IP_ATTRIBUTE_PREFIX) :]
                per_ip[ip] = per_ip.get(ip, 0) + int(value["N"])
    ips = tuple(sorted(per_ip.items(), key=lambda pair: (-pair[1], pair[0])))
    tried = {name for item in items for name in item.get("names", {}).get("SS", [])}
    watched = {name for item in items for name in item.get("watched", {}).get("SS", [])}
    return WindowCount(
        subject,
        total,
        min(firsts, default=epoch),
        max(lasts, default=epoch),
        ips,
        names=tuple(sorted(tried)),
        watched=tuple(sorted(watched)),
    )
