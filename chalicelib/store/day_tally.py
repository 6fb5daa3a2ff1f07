"""The day's counters, one family under `DAY#<date>`: the `COUNT` item (the totals
`/recent-logins` sums and the digest reports), the `HOURS` item (the sign-in counters
per hour, apart, so a 90-day window reads 90 small items and one large) and a
`PRINCIPAL#` item per principal, all added to in the sign-in's commit, so a sign-in is
counted exactly when it is recorded; and the digest's lines (`BURST#`, `PLACE#`) and
its once-a-day `DIGEST` mark. The digest reads the partition with one Query, never a Scan.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date
from typing import Any

from chalicelib.judge.places import Places
from chalicelib.signin.parse import NameStatus, Result, SignIn
from chalicelib.signin.words import signin_principal
from chalicelib.store.attributes import (
    TTL_ATTRIBUTE,
    Write,
    bounded,
    day_epoch,
    epoch_of,
    expires_after,
    read_int,
)
from chalicelib.store.day_notable import NOTABLE_PREFIX, notable_put
from chalicelib.store.listing import (
    categories_of,
    counter_names,
    hourly_name,
    in_directory,
    is_listed,
)
from chalicelib.store.schema import (
    burst_line_key,
    day_counter_key,
    day_hours_key,
    day_item_key,
    day_of,
    day_partition,
)

# A day's items outlive its sign-ins by this much, so a window's counts stay whole.
DAY_ITEM_EXTRA_DAYS = 2
TOP_PRINCIPALS = 5
OTHER_EVENTS = "other_events"
BURSTS = "bursts"

# The digest's totals, each read from one counter of the `COUNT` item.
DIGEST_COUNTERS = {
    "signins": "signins",
    "success": "success",
    "failure": "failed",
    "unknown": "unknown",
    "root": "root",
    "without_mfa": "nomfa",
    "new_ip": "new_ip",
    "new_country": "new_country",
    "impossible_travel": "impossible_travel",
    "bursts": BURSTS,
    "other_events": OTHER_EVENTS,
    "account_changes": "changes",
    # "Was this you?" questions (chalicelib/confirm), by the day of the sign-in.
    "asked": "asked",
    "confirmed": "confirmed",
    "denied": "denied",
    "unanswered": "unanswered",
}


def day_counts(signin: SignIn, places: Places, *, opens_burst: bool = False) -> dict[str, int]:
    """What one sign-in adds to its day's `COUNT` item (its hours: `hour_counts`)."""
    counts: dict[str, int] = {}
    if is_listed(signin):
        counts.update(dict.fromkeys(counter_names(categories_of(signin)), 1))
        if signin.change is None and signin.outcome is not Result.FAILURE:
            # failures are the `failed` category; a change counts as `changes` only
            counts[signin.outcome.value] = 1
        counts.update(dict.fromkeys(places.flags, 1))
    else:
        counts[OTHER_EVENTS] = 1
    if opens_burst:
        counts[BURSTS] = 1
    return counts


def hour_counts(signin: SignIn) -> dict[str, int]:
    """What one listed sign-in adds to its day's `HOURS` item: its counters, by hour."""
    hour = signin.event_time.astimezone(UTC).hour
    return {hourly_name(hour, name): 1 for name in counter_names(categories_of(signin))}


def _ttl(day: str, retention_days: int) -> dict[str, str]:
    return expires_after(day_epoch(day), retention_days + DAY_ITEM_EXTRA_DAYS)


def add_update(
    table: str, key: dict[str, Any], counts: Mapping[str, int], ttl: dict[str, str], label: str = ""
) -> Write:
    names = {f"#c{i}": name for i, name in enumerate(counts)}
    values: dict[str, Any] = {f":c{i}": {"N": str(n)} for i, n in enumerate(counts.values())}
    names["#ttl"] = TTL_ATTRIBUTE
    values[":ttl"] = ttl
    expression = "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(counts)))
    expression += " SET #ttl = :ttl"
    if label:
        names["#label"] = "label"
        values[":label"] = {"S": bounded(label)}
        expression += ", #label = :label"
    return {
        "Update": {
            "TableName": table,
            "Key": key,
            "UpdateExpression": expression,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
    }


def line_put(table: str, day: str, sort_key: str, text: str, retention_days: int) -> Write:
    """A named line in the day's digest (a burst, a new place)."""
    return {
        "Put": {
            "TableName": table,
            "Item": {
                **day_item_key(date.fromisoformat(day), sort_key),
                "text": {"S": text[:1000]},
                TTL_ATTRIBUTE: _ttl(day, retention_days),
            },
        }
    }


def day_writes(
    table: str,
    signin: SignIn,
    places: Places,
    *,
    retention_days: int,
    burst_line: tuple[str, str] | None = None,
    notable: str = "",
) -> list[Write]:
    """The commit's writes to the sign-in's day: its counters, its principal's, and
    the digest's lines. `burst_line` is (subject id, title) when it opens a burst (its
    summaries rewrite the line with the burst's count: storms/bursts.py); `notable`
    names the sign-in in the digest (store/day_notable.py)."""
    day = day_of(signin.event_time)
    ttl = _ttl(day, retention_days)
    counts = day_counts(signin, places, opens_burst=burst_line is not None)
    writes = [add_update(table, day_counter_key(day), counts, ttl)]
    if is_listed(signin):
        writes.append(add_update(table, day_hours_key(day), hour_counts(signin), ttl))
    if in_directory(signin):
        writes.append(
            add_update(
                table,
                day_item_key(
                    date.fromisoformat(day),
                    f"PRINCIPAL#{signin.account_id}#{signin.principal_key}",
                ),
                # A name AWS hid is no principal: the digest keeps it out of the busiest.
                {"n": 1, f"n_{signin.outcome.value}": 1}
                | ({"hidden": 1} if signin.name_status is NameStatus.HIDDEN else {}),
                ttl,
                # The principal as every message names it: `unknown user` for a
                # name AWS hid, `IAM user (name not recorded)` for none at all.
                label=f"{signin_principal(signin)} ({signin.account_id})",
            )
        )
    if places.reasons:
        text = f"{signin_principal(signin)} ({signin.account_id}) from {signin.source_ip}: "
        writes.append(
            line_put(
                table,
                day,
                f"PLACE#{signin.event_id}",
                text + ", ".join(places.reasons),
                retention_days,
            )
        )
    if notable:
        writes.append(notable_put(table, signin, notable, ttl))
    if burst_line is not None:
        subject_id, title = burst_line
        line = burst_line_key(subject_id, epoch_of(signin.event_time))["sk"]["S"]
        writes.append(line_put(table, day, line, title, retention_days))
    return writes


class DayTally:
    """What the digest reads and the mark that it posted once."""

    def __init__(self, dynamodb: Any, table_name: str, *, retention_days: int = 40) -> None:
        self._db = dynamodb
        self._table = table_name
        self._retention_days = retention_days

    def count_write(self, day: date, counts: Mapping[str, int]) -> Write:
        """Adding to the day's counters, as a transaction part."""
        key = day_counter_key(day.isoformat())
        return add_update(self._table, key, counts, _ttl(day.isoformat(), self._retention_days))

    def count(self, day: date, counts: Mapping[str, int]) -> None:
        """Add to the day's counters now (a question answered or escalated)."""
        self._db.update_item(**self.count_write(day, counts)["Update"])

    def read(self, day: date) -> DaySummary:
        return summary_of(day, self.items(day))

    def items(self, day: date) -> list[dict[str, Any]]:
        """Every item of the day's partition: one Query (paged), never a Scan."""
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
        return items

    def claim_digest(self, day: date) -> bool:
        """Only one digest per day, even when the schedule fires twice."""
        try:
            self._db.put_item(
                TableName=self._table,
                Item={
                    **day_item_key(day, "DIGEST"),
                    TTL_ATTRIBUTE: _ttl(day.isoformat(), 40),
                },
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
    # (account, sign-ins, failures), busiest first: the principals' counters summed.
    accounts: tuple[tuple[str, int, int], ...] = ()
    busiest_accounts: tuple[str, ...] = ()  # each busiest principal's account id
    notable: tuple[tuple[int, str], ...] = ()  # (epoch, line): root, watched, critical
    hidden_names: int = 0  # sign-ins under names AWS hid (failed guesses)


def principal_rows(items: Iterable[Mapping[str, Any]]) -> list[tuple[str, str, int, int]]:
    """(account, label, sign-ins, failures) of each `PRINCIPAL#` item of a day."""
    rows = []
    for item in items:
        sort_key = item["sk"]["S"]
        if sort_key.startswith("PRINCIPAL#"):
            account = sort_key.removeprefix("PRINCIPAL#").partition("#")[0]
            label = item.get("label", {}).get("S", sort_key)
            rows.append((account, label, read_int(item, "n"), read_int(item, "n_failure")))
    return rows


def summary_of(day: date, items: Iterable[Mapping[str, Any]]) -> DaySummary:
    totals: dict[str, int] = dict.fromkeys(DIGEST_COUNTERS, 0)
    principals: list[tuple[str, int, int, str]] = []
    bursts: list[str] = []
    places: list[str] = []
    accounts: dict[str, tuple[int, int]] = {}
    notable: list[tuple[int, str]] = []
    hidden_names = 0
    for item in items:
        sort_key = item["sk"]["S"]
        if sort_key == day_counter_key(day.isoformat())["sk"]["S"]:
            totals.update(
                {name: read_int(item, counter) for name, counter in DIGEST_COUNTERS.items()}
            )
        elif sort_key.startswith("PRINCIPAL#"):
            label = item.get("label", {}).get("S", sort_key)
            account = sort_key.removeprefix("PRINCIPAL#").split("#", 1)[0]
            signins, failures = read_int(item, "n"), read_int(item, "n_failure")
            so_far = accounts.get(account, (0, 0))
            accounts[account] = (so_far[0] + signins, so_far[1] + failures)
            if read_int(item, "hidden"):
                hidden_names += signins
                continue
            principals.append((label, signins, failures, account))
        elif sort_key.startswith("BURST#"):
            bursts.append(item.get("text", {}).get("S", ""))
        elif sort_key.startswith("PLACE#"):
            places.append(item.get("text", {}).get("S", ""))
        elif sort_key.startswith(NOTABLE_PREFIX):
            notable.append((read_int(item, "at"), item.get("text", {}).get("S", "")))
    principals.sort(key=lambda row: (-row[1], row[0]))
    top = principals[:TOP_PRINCIPALS]
    by_account = sorted(((a, n, f) for a, (n, f) in accounts.items()), key=lambda r: (-r[1], r[0]))
    return DaySummary(
        day,
        totals,
        tuple((label, count, failures) for label, count, failures, _ in top),
        tuple(bursts),
        tuple(places),
        accounts=tuple(by_account[:TOP_PRINCIPALS]),
        busiest_accounts=tuple(row[3] for row in top),
        notable=tuple(sorted(notable)),
        hidden_names=hidden_names,
    )
