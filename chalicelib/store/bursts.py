"""Failure windows and bursts in DynamoDB: what the gather reads, what the commit
writes, and the sweep's own small reads and writes.

A window is `SLICES` slice items (`COUNT#<subject>`/`<index>`) read in the sign-in's
one batch read; the commit `ADD`s the failure to its slice. Before any burst is open
the decision depends on the exact count, so that add is conditional on the count read
(a concurrent failure cancels the commit and the pipeline gathers again); inside a burst
it is not. A burst item (`BURST#<subject>`) is put only if none is open, so exactly one
instance opens it, and it keeps the burst's running count (failures, per-IP counts,
last failure), so its summaries never read a window.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from chalicelib.judge.bursts import (
    IP_ATTRIBUTE_PREFIX,
    SLICES,
    Burst,
    Dimension,
    Opener,
    Subject,
    Threshold,
    WindowCount,
)
from chalicelib.store.schema import (
    DAY_SECONDS,
    OPEN_BURSTS,
    TTL_ATTRIBUTE,
    Write,
    bounded,
    burst_key,
    number,
    open_burst_key,
    read_int,
    read_number,
    spray_name_key,
    window_slice_key,
)

# An item keeps per-IP counts for at most this many addresses: a storm from thousands
# of addresses still counts, without growing an item towards DynamoDB's 400 KB.
MAX_TRACKED_IPS = 100

Lookup = Callable[[dict[str, Any]], Mapping[str, Any] | None]


class Windows:
    """The slices of each subject's window, as keys to read and counts read."""

    def __init__(self, limits: Mapping[Dimension, Threshold]) -> None:
        self.limits = limits

    def _slices(self, subject: Subject, epoch: int, since: int | None = None) -> range:
        size = self.limits[subject.dimension].slice_seconds
        last = epoch // size
        first = last - SLICES + 1
        if since is not None:
            first = min(first, since // size)
        return range(first, last + 1)

    def keys(self, subject: Subject, epoch: int) -> list[dict[str, Any]]:
        slices = self._slices(subject, epoch)
        return [window_slice_key(subject.id, index) for index in slices] + [burst_key(subject.id)]

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
    ) -> Write:
        """Add one failure to the subject's current slice; `exact`: only if its count is
        still what was read."""
        key = self.current_key(subject, epoch)
        current = lookup(key)
        window = self.limits[subject.dimension].window_seconds
        update = _add_expression(
            ip if _tracks(current, ip) else None,
            epoch,
            ttl=epoch + window * 2 + DAY_SECONDS,
        )
        update.update({"TableName": table, "Key": key})
        if exact:
            if current is None:
                update["ConditionExpression"] = "attribute_not_exists(pk)"
            else:
                update["ConditionExpression"] = "n = :seen"
                update["ExpressionAttributeValues"][":seen"] = number(read_int(current, "n"))
        return {"Update": update}


def _tracks(item: Mapping[str, Any] | None, ip: str | None) -> bool:
    if not ip:
        return False
    if item is None or IP_ATTRIBUTE_PREFIX + ip in item:
        return True
    return sum(1 for name in item if name.startswith(IP_ATTRIBUTE_PREFIX)) < MAX_TRACKED_IPS


def _add_expression(
    ip: str | None, epoch: int, *, ttl: int | None = None, failures: bool = False, n: int = 1
) -> dict[str, Any]:
    names: dict[str, str] = {}
    values: dict[str, Any] = {":one": number(1), ":n": number(n), ":epoch": number(epoch)}
    adds = ["n :n"]
    if ip:
        names["#ip"] = IP_ATTRIBUTE_PREFIX + ip
        adds.append("#ip :one")
    if failures:
        adds.append("failures :one")
    sets = ["first_epoch = if_not_exists(first_epoch, :epoch)", "last_epoch = :epoch"]
    if ttl is not None:
        names["#ttl"] = TTL_ATTRIBUTE
        values[":ttl"] = number(ttl)
        sets.append("#ttl = :ttl")
    update: dict[str, Any] = {
        "UpdateExpression": "ADD " + ", ".join(adds) + " SET " + ", ".join(sets),
        "ExpressionAttributeValues": values,
    }
    if names:
        update["ExpressionAttributeNames"] = names
    return update


# -- spraying: distinct user names per source IP --------------------------------------


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
            TTL_ATTRIBUTE: number(epoch + window + DAY_SECONDS),
        },
        "ConditionExpression": "attribute_not_exists(pk)",
    }
    if seen is not None:
        put["ConditionExpression"] = "seen_until = :seen"
        put["ExpressionAttributeValues"] = {":seen": number(read_number(seen, "seen_until"))}
    return {"Put": put}


# -- bursts ------------------------------------------------------------------------------


def open_writes(
    table: str, burst: Burst, count: WindowCount, *, epoch: int, failures: int
) -> list[Write]:
    """The burst item (only if no burst of this subject is open) and its line in the
    sweep's list."""
    subject = burst.subject
    ttl = number(burst.until_epoch + DAY_SECONDS)
    item: dict[str, Any] = {
        **burst_key(subject.id),
        "until_epoch": number(burst.until_epoch),
        "opener_event_id": {"S": burst.opener_event_id},
        "first_epoch": number(count.first_epoch),
        "last_epoch": number(count.last_epoch),
        "n": number(count.count),
        "failures": number(failures),
        "summarised_count": number(burst.summarised_count),
        "last_summary_at": number(round(burst.last_summary_at, 3)),
        "dimension": {"S": subject.dimension.value},
        "account_id": {"S": subject.account_id},
        "subject_key": {"S": bounded(subject.key)},
        "label": {"S": bounded(subject.label)},
        "opener_principal": {"S": bounded(burst.opener.principal)},
        "opener_mfa": {"S": burst.opener.mfa},
        "opener_ip": {"S": burst.opener.source_ip[:100]},
        TTL_ATTRIBUTE: ttl,
    }
    for ip, n in count.ips[:MAX_TRACKED_IPS]:
        item[IP_ATTRIBUTE_PREFIX + ip] = number(n)
    return [
        {
            "Put": {
                "TableName": table,
                "Item": item,
                "ConditionExpression": "attribute_not_exists(pk) OR until_epoch <= :epoch",
                "ExpressionAttributeValues": {":epoch": number(epoch)},
            }
        },
        {
            "Put": {
                "TableName": table,
                "Item": {
                    **open_burst_key(subject.id),
                    "until_epoch": number(burst.until_epoch),
                    TTL_ATTRIBUTE: ttl,
                },
            }
        },
    ]


def add_to_burst(
    table: str,
    burst: Burst,
    item: Mapping[str, Any],
    *,
    epoch: int,
    ip: str | None,
    counts: bool,
    claim_summary_at: float | None = None,
) -> Write:
    """Add a failure to an open burst's running count (`counts`: False for a spraying
    burst's repeated user name, which adds a failure but no name). With
    `claim_summary_at`, also take the right to post its next summary (only if nobody
    took it since the read)."""
    per_ip = burst.subject.dimension in (Dimension.ROOT, Dimension.PRINCIPAL)
    update = _add_expression(
        ip if per_ip and _tracks(item, ip) else None, epoch, failures=True, n=int(counts)
    )
    values = update["ExpressionAttributeValues"]
    values[":opener"] = {"S": burst.opener_event_id}
    condition = "opener_event_id = :opener"
    if claim_summary_at is not None:
        update["UpdateExpression"] += ", last_summary_at = :now"
        values[":now"] = number(round(claim_summary_at, 3))
        values[":seen"] = number(round(burst.last_summary_at, 3))
        condition += " AND last_summary_at = :seen"
    update.update({"TableName": table, "Key": burst_key(burst.subject.id)})
    update["ConditionExpression"] = condition
    return {"Update": update}


def remember_message(table: str, burst: Burst, *, ts: str, channel: str) -> Write:
    """Where the burst alert was posted, so summaries can update it and reply in its
    thread; written with the opener's "sent" mark."""
    return {
        "Update": {
            "TableName": table,
            "Key": burst_key(burst.subject.id),
            "UpdateExpression": "SET message_ts = :ts, message_channel = :channel",
            "ConditionExpression": "opener_event_id = :opener",
            "ExpressionAttributeValues": {
                ":ts": {"S": ts},
                ":channel": {"S": channel or "-"},
                ":opener": {"S": burst.opener_event_id},
            },
        }
    }


def subject_of(item: Mapping[str, Any]) -> Subject | None:
    if "dimension" not in item:
        return None
    try:
        dimension = Dimension(item["dimension"]["S"])
    except ValueError:
        return None
    return Subject(
        dimension,
        item.get("account_id", {}).get("S", ""),
        item.get("subject_key", {}).get("S", ""),
        item.get("label", {}).get("S", ""),
    )


def burst_of(subject: Subject, item: Mapping[str, Any]) -> Burst:
    return Burst(
        subject=subject,
        until_epoch=read_int(item, "until_epoch"),
        opener_event_id=item.get("opener_event_id", {}).get("S", ""),
        first_epoch=read_int(item, "first_epoch"),
        summarised_count=read_int(item, "summarised_count"),
        last_summary_at=read_number(item, "last_summary_at"),
        message_ts=item.get("message_ts", {}).get("S", ""),
        message_channel=item.get("message_channel", {}).get("S", ""),
        opener=Opener(
            item.get("opener_principal", {}).get("S", subject.label),
            item.get("opener_mfa", {}).get("S", "unknown"),
            item.get("opener_ip", {}).get("S", ""),
        ),
    )


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
    return WindowCount(subject, total, min(firsts, default=epoch), max(lasts, default=epoch), ips)


class BurstSweep:
    """The scheduled sweep's reads and writes, and a summary's claim and outcome."""

    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._db = dynamodb
        self._table = table_name

    def open_burst_ids(self) -> list[str]:
        ids: list[str] = []
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": OPEN_BURSTS}},
        }
        while True:
            response = self._db.query(**kwargs)
            ids.extend(item["sk"]["S"] for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return ids
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def get(self, subject_id: str) -> tuple[Burst, WindowCount, int] | None:
        """The burst, its running count and (spraying) its failures."""
        item = self._db.get_item(
            TableName=self._table, Key=burst_key(subject_id), ConsistentRead=True
        ).get("Item")
        subject = subject_of(item or {})
        if not item or subject is None:
            return None
        burst = burst_of(subject, item)
        return burst, count_of(subject, [item], burst.until_epoch), read_int(item, "failures")

    def forget(self, subject_id: str) -> None:
        self._db.delete_item(TableName=self._table, Key=open_burst_key(subject_id))

    def claim_summary(self, burst: Burst, *, wall_now: float) -> bool:
        """Take the right to post this burst's next summary, unless another instance
        took it since `burst` was read."""
        try:
            self._db.update_item(
                TableName=self._table,
                Key=burst_key(burst.subject.id),
                UpdateExpression="SET last_summary_at = :now",
                ConditionExpression="opener_event_id = :opener AND last_summary_at = :seen",
                ExpressionAttributeValues={
                    ":now": number(round(wall_now, 3)),
                    ":seen": number(round(burst.last_summary_at, 3)),
                    ":opener": {"S": burst.opener_event_id},
                },
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def summarised(self, burst: Burst, *, count: int) -> None:
        self._db.update_item(
            TableName=self._table,
            Key=burst_key(burst.subject.id),
            UpdateExpression="SET summarised_count = :count",
            ConditionExpression="opener_event_id = :opener",
            ExpressionAttributeValues={
                ":count": number(count),
                ":opener": {"S": burst.opener_event_id},
            },
        )

    def give_back_summary(self, burst: Burst, *, claimed_at: float) -> None:
        """A summary that could not go out: let the next failure try again."""
        with contextlib.suppress(self._db.exceptions.ConditionalCheckFailedException):
            self._db.update_item(
                TableName=self._table,
                Key=burst_key(burst.subject.id),
                UpdateExpression="SET last_summary_at = :previous",
                ConditionExpression="last_summary_at = :claimed",
                ExpressionAttributeValues={
                    ":previous": number(round(burst.last_summary_at, 3)),
                    ":claimed": number(round(claimed_at, 3)),
                },
            )
