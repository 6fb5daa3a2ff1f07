"""Burst windows and burst items in DynamoDB: atomic slice counters, one consistent
read of a window, and the conditional put that lets exactly one instance open a burst.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
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
    valid_ip,
)
from chalicelib.signin.parse import SignIn
from chalicelib.store.schema import (
    BATCH_GET_LIMIT,
    DAY_SECONDS,
    OPEN_BURSTS,
    TTL_ATTRIBUTE,
    bounded,
    burst_key,
    expires_at,
    number,
    open_burst_key,
    read_number,
    spray_name_key,
    window_slice_key,
)


class BurstStore:
    def __init__(self, dynamodb: Any, table_name: str, limits: Mapping[Dimension, Threshold]):
        self._db = dynamodb
        self._table = table_name
        self._limits = limits

    def count(self, signin: SignIn, subjects: Sequence[Subject]) -> None:
        """Add this failure to its subjects' current slices."""
        epoch = int(signin.event_time.timestamp())
        ip = valid_ip(signin.source_ip)
        for subject in subjects:
            if subject.dimension is Dimension.SPRAY and not self._new_user_name(
                subject, signin, epoch
            ):
                continue
            self._add(
                subject,
                epoch,
                ip if subject.dimension in (Dimension.ROOT, Dimension.PRINCIPAL) else None,
            )

    def _new_user_name(self, subject: Subject, signin: SignIn, epoch: int) -> bool:
        """True when this user name has not failed from this IP within the window: only
        then does it add to the distinct-names count (a marker item per name and IP)."""
        window = self._limits[Dimension.SPRAY].window_seconds
        try:
            self._db.put_item(
                TableName=self._table,
                Item={
                    **spray_name_key(subject.id, signin.display_name),
                    "seen_until": number(epoch + window),
                    TTL_ATTRIBUTE: expires_at(epoch, window + DAY_SECONDS),
                },
                ConditionExpression="attribute_not_exists(pk) OR seen_until <= :epoch",
                ExpressionAttributeValues={":epoch": number(epoch)},
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def _add(self, subject: Subject, epoch: int, ip: str | None) -> None:
        limit = self._limits[subject.dimension]
        index = epoch // limit.slice_seconds
        names: dict[str, str] = {"#ttl": TTL_ATTRIBUTE}
        values: dict[str, Any] = {
            ":one": number(1),
            ":epoch": number(epoch),
            ":ttl": expires_at(epoch, limit.window_seconds * 2 + DAY_SECONDS),
        }
        expression = "ADD n :one SET first_epoch = if_not_exists(first_epoch, :epoch), "
        expression += "last_epoch = :epoch, #ttl = :ttl"
        if ip:
            names["#ip"] = IP_ATTRIBUTE_PREFIX + ip
            expression = expression.replace("ADD n :one", "ADD n :one, #ip :one")
        try:
            self._db.update_item(
                TableName=self._table,
                Key=window_slice_key(subject.id, index),
                UpdateExpression=expression,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except self._db.exceptions.ClientError as error:
            # A slice with thousands of distinct IPs reaches the item size limit: keep
            # counting, without the per-IP breakdown.
            if not ip or "size" not in str(error).lower():
                raise
            self._add(subject, epoch, None)

    def read(
        self,
        subjects: Sequence[Subject],
        epoch: int,
        *,
        since_epoch: Mapping[str, int] | None = None,
    ) -> tuple[list[WindowCount], dict[str, Burst]]:
        """The window counts at `epoch` (or from `since_epoch[subject.id]` on, for a
        burst's summary) and the subjects' burst items, in one consistent batch read."""
        keys: list[dict[str, Any]] = []
        ranges: dict[str, range] = {}
        for subject in subjects:
            limit = self._limits[subject.dimension]
            last = epoch // limit.slice_seconds
            first = last - SLICES + 1
            if since_epoch and subject.id in since_epoch:
                first = min(first, since_epoch[subject.id] // limit.slice_seconds)
            ranges[subject.id] = range(first, last + 1)
            keys.extend(window_slice_key(subject.id, index) for index in ranges[subject.id])
            keys.append(burst_key(subject.id))
        items = self._batch_get(keys)
        counts = []
        bursts: dict[str, Burst] = {}
        for subject in subjects:
            slices = [
                items[(f"COUNT#{subject.id}", str(index))]
                for index in ranges[subject.id]
                if (f"COUNT#{subject.id}", str(index)) in items
            ]
            counts.append(_window_count(subject, slices, epoch))
            burst_item = items.get((f"BURST#{subject.id}", "BURST"))
            if burst_item:
                bursts[subject.id] = _burst(subject, burst_item)
        return counts, bursts

    def _batch_get(self, keys: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
        found: dict[tuple[str, str], dict[str, Any]] = {}
        pending = list(keys)
        while pending:
            chunk, pending = pending[:BATCH_GET_LIMIT], pending[BATCH_GET_LIMIT:]
            request: dict[str, Any] = {self._table: {"Keys": chunk, "ConsistentRead": True}}
            for _ in range(8):
                response = self._db.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self._table, []):
                    found[(item["pk"]["S"], item["sk"]["S"])] = item
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
        return found

    def open(
        self, count: WindowCount, *, opener: SignIn, epoch: int, wall_now: float
    ) -> Burst | None:
        """Open a burst for this subject unless one is open: the one caller that
        succeeds posts the burst alert."""
        subject = count.subject
        event_id = opener.event_id
        window = self._limits[subject.dimension].window_seconds
        burst = Burst(
            subject=subject,
            until_epoch=epoch + window,
            opener_event_id=event_id,
            first_epoch=count.first_epoch,
            summarised_count=count.count,
            last_summary_at=wall_now,
            opener=Opener.of(opener),
        )
        try:
            self._db.put_item(
                TableName=self._table,
                Item={
                    **burst_key(subject.id),
                    "until_epoch": number(burst.until_epoch),
                    "opener_event_id": {"S": event_id},
                    "first_epoch": number(burst.first_epoch),
                    "summarised_count": number(burst.summarised_count),
                    "last_summary_at": number(round(wall_now, 3)),
                    "dimension": {"S": subject.dimension.value},
                    "account_id": {"S": subject.account_id},
                    "subject_key": {"S": bounded(subject.key)},
                    "label": {"S": bounded(subject.label)},
                    "opener_principal": {"S": bounded(burst.opener.principal)},
                    "opener_mfa": {"S": burst.opener.mfa},
                    "opener_ip": {"S": burst.opener.source_ip[:100]},
                    TTL_ATTRIBUTE: expires_at(burst.until_epoch, DAY_SECONDS),
                },
                ConditionExpression="attribute_not_exists(pk) OR until_epoch <= :epoch",
                ExpressionAttributeValues={":epoch": number(epoch)},
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return None
        # The sweep's list of bursts that may owe a summary (one small partition).
        self._db.put_item(
            TableName=self._table,
            Item={
                **open_burst_key(subject.id),
                "until_epoch": number(burst.until_epoch),
                TTL_ATTRIBUTE: expires_at(burst.until_epoch, DAY_SECONDS),
            },
        )
        return burst

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

    def get(self, subject_id: str) -> Burst | None:
        item = self._db.get_item(
            TableName=self._table,
            Key=burst_key(subject_id),
            ConsistentRead=True,
        ).get("Item")
        if not item or "dimension" not in item:
            return None
        subject = Subject(
            Dimension(item["dimension"]["S"]),
            item["account_id"]["S"],
            item["subject_key"]["S"],
            item["label"]["S"],
        )
        return _burst(subject, item)

    def forget(self, subject_id: str) -> None:
        self._db.delete_item(TableName=self._table, Key=open_burst_key(subject_id))

    def remember_message(self, burst: Burst, *, ts: str, channel: str) -> None:
        if not ts:
            return
        self._db.update_item(
            TableName=self._table,
            Key=burst_key(burst.subject.id),
            UpdateExpression="SET message_ts = :ts, message_channel = :channel",
            ConditionExpression="opener_event_id = :opener",
            ExpressionAttributeValues={
                ":ts": {"S": ts},
                ":channel": {"S": channel or "-"},
                ":opener": {"S": burst.opener_event_id},
            },
        )

    def claim_summary(self, burst: Burst, *, wall_now: float, interval: float) -> bool:
        """Take the right to post this burst's next summary: at most one per interval,
        across all instances."""
        try:
            self._db.update_item(
                TableName=self._table,
                Key=burst_key(burst.subject.id),
                UpdateExpression="SET last_summary_at = :now",
                ConditionExpression="opener_event_id = :opener AND last_summary_at <= :due",
                ExpressionAttributeValues={
                    ":now": number(round(wall_now, 3)),
                    ":due": number(round(wall_now - interval, 3)),
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


def _window_count(subject: Subject, slices: Sequence[Mapping[str, Any]], epoch: int) -> WindowCount:
    total = sum(int(read_number(item, "n")) for item in slices)
    firsts = [int(read_number(item, "first_epoch", epoch)) for item in slices]
    lasts = [int(read_number(item, "last_epoch", epoch)) for item in slices]
    per_ip: dict[str, int] = {}
    for item in slices:
        for name, value in item.items():
            if name.startswith(IP_ATTRIBUTE_PREFIX):
                ip = name[len(IP_ATTRIBUTE_PREFIX) :]
                per_ip[ip] = per_ip.get(ip, 0) + int(value["N"])
    ips = tuple(sorted(per_ip.items(), key=lambda pair: (-pair[1], pair[0])))
    return WindowCount(
        subject,
        total,
        min(firsts, default=epoch),
        max(lasts, default=epoch),
        ips,
    )


def _burst(subject: Subject, item: Mapping[str, Any]) -> Burst:
    return Burst(
        subject=subject,
        until_epoch=int(read_number(item, "until_epoch")),
        opener_event_id=item.get("opener_event_id", {}).get("S", ""),
        first_epoch=int(read_number(item, "first_epoch")),
        summarised_count=int(read_number(item, "summarised_count")),
        last_summary_at=read_number(item, "last_summary_at"),
        message_ts=item.get("message_ts", {}).get("S", ""),
        message_channel=item.get("message_channel", {}).get("S", ""),
        opener=Opener(
            item.get("opener_principal", {}).get("S", subject.label),
            item.get("opener_mfa", {}).get("S", "unknown"),
            item.get("opener_ip", {}).get("S", ""),
        ),
    )
