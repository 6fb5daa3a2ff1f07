"""Per-day tallies for the daily digest: counters under `DAY#YYYY-MM-DD` (atomic `ADD`,
one item for the totals and one per principal) and a line item per burst or new place,
so the digest reads one partition, never a Scan.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from chalicelib.judge.rules import is_alerting_event
from chalicelib.signin.parse import Mfa, Result, SignIn
from chalicelib.store.schema import TTL_ATTRIBUTE, bounded, day_item_key, day_partition, read_int

DAY_ITEM_DAYS = 40
TOP_PRINCIPALS = 5

COUNTERS = (
    "signins",
    "success",
    "failure",
    "unknown",
    "root",
    "without_mfa",
    "new_ip",
    "new_country",
    "impossible_travel",
    "bursts",
    "other_events",
    # "Was this you?" questions (chalicelib/confirm), by the day of the sign-in.
    "asked",
    "confirmed",
    "denied",
    "unanswered",
)


def _ttl(day: date) -> dict[str, str]:
    expires = datetime(day.year, day.month, day.day) + timedelta(days=DAY_ITEM_DAYS)
    return {"N": str(int(expires.timestamp()))}


def counters_for(signin: SignIn, reasons: Iterable[str]) -> dict[str, int]:
    """What one sign-in adds to its day's totals."""
    reasons = tuple(reasons)
    if not is_alerting_event(signin):
        return {"other_events": 1}
    counts = {"signins": 1, signin.outcome.value: 1}
    if signin.is_root:
        counts["root"] = 1
    if signin.outcome is Result.SUCCESS and "no MFA" in reasons and signin.mfa is not Mfa.YES:
        counts["without_mfa"] = 1
    if "new IP" in reasons:
        counts["new_ip"] = 1
    if any(reason.startswith("new country") for reason in reasons):
        counts["new_country"] = 1
    if any(reason.startswith("impossible travel") for reason in reasons):
        counts["impossible_travel"] = 1
    return counts


class DayTally:
    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._db = dynamodb
        self._table = table_name

    def add(self, signin: SignIn, reasons: Iterable[str]) -> None:
        reasons = tuple(reasons)
        day = signin.event_time.date()
        counts = counters_for(signin, reasons)
        self._add(day, "TOTALS", counts)
        if "signins" in counts:
            self._add(
                day,
                f"PRINCIPAL#{signin.account_id}#{signin.principal_key}",
                {"n": 1, f"n_{signin.outcome.value}": 1},
                label=f"{signin.display_name} ({signin.account_id})",
            )
        places = [r for r in reasons if r == "new IP" or r.startswith(("new country", "imposs"))]
        if places:
            self.line(
                day,
                f"PLACE#{signin.event_id}",
                f"{signin.display_name} ({signin.account_id}) from {signin.source_ip}: "
                + ", ".join(places),
            )

    def line(self, day: date, sort_key: str, text: str) -> None:
        """A named line in the digest (a burst, a new place)."""
        self._db.put_item(
            TableName=self._table,
            Item={
                **day_item_key(day, sort_key),
                "text": {"S": text[:1000]},
                TTL_ATTRIBUTE: _ttl(day),
            },
        )

    def burst(self, day: date, burst_id: str, title: str) -> None:
        self._add(day, "TOTALS", {"bursts": 1})
        self.line(day, f"BURST#{burst_id}", title)

    def count(self, day: date, counts: Mapping[str, int]) -> None:
        """Add to the day's totals (a question asked, answered or escalated)."""
        self._add(day, "TOTALS", counts)

    def _add(self, day: date, sort_key: str, counts: Mapping[str, int], label: str = "") -> None:
        names = {f"#c{i}": name for i, name in enumerate(counts)}
        values: dict[str, Any] = {f":c{i}": {"N": str(n)} for i, n in enumerate(counts.values())}
        names["#ttl"] = TTL_ATTRIBUTE
        values[":ttl"] = _ttl(day)
        expression = "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(counts)))
        expression += " SET #ttl = :ttl"
        if label:
            names["#label"] = "label"
            values[":label"] = {"S": bounded(label)}
            expression += ", #label = :label"
        self._db.update_item(
            TableName=self._table,
            Key=day_item_key(day, sort_key),
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def read(self, day: date) -> DaySummary:
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": day_partition(day)}},
            "ConsistentRead": True,
        }
        while True:
            response = self._db.query(**kwargs)
            items.extend(response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                break
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return summary_of(day, items)

    def claim_digest(self, day: date) -> bool:
        """Only one digest per day, even when the schedule fires twice."""
        try:
            self._db.put_item(
                TableName=self._table,
                Item={**day_item_key(day, "DIGEST"), TTL_ATTRIBUTE: _ttl(day)},
                ConditionExpression="attribute_not_exists(pk)",
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def release_digest(self, day: date) -> None:
        self._db.delete_item(TableName=self._table, Key=day_item_key(day, "DIGEST"))


@dataclass(frozen=True)
class DaySummary:
    day: date
    totals: dict[str, int] = field(default_factory=dict)
    busiest: tuple[tuple[str, int, int], ...] = ()  # (label, sign-ins, failures)
    bursts: tuple[str, ...] = ()
    places: tuple[str, ...] = ()


def summary_of(day: date, items: Iterable[Mapping[str, Any]]) -> DaySummary:
    totals: dict[str, int] = dict.fromkeys(COUNTERS, 0)
    principals: list[tuple[str, int, int]] = []
    bursts: list[str] = []
    places: list[str] = []
    for item in items:
        sort_key = item["sk"]["S"]
        if sort_key == "TOTALS":
            totals.update({name: read_int(item, name) for name in COUNTERS})
        elif sort_key.startswith("PRINCIPAL#"):
            label = item.get("label", {}).get("S", sort_key)
            principals.append((label, read_int(item, "n"), read_int(item, "n_failure")))
        elif sort_key.startswith("BURST#"):
            bursts.append(item.get("text", {}).get("S", ""))
        elif sort_key.startswith("PLACE#"):
            places.append(item.get("text", {}).get("S", ""))
    principals.sort(key=lambda row: (-row[1], row[0]))
    return DaySummary(day, totals, tuple(principals[:TOP_PRINCIPALS]), tuple(bursts), tuple(places))
