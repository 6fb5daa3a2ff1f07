"""One routine sign-in in its roll-up: what the roll-up names (who, when, from where,
how it went), and the two writes that put it there in the sign-in's own commit.

The commit is conditional on the sign-in not being recorded yet, so a duplicate
delivery never adds an entry twice, and the roll-up's count moves with its entries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.judge.geo import country_of
from chalicelib.routine.periods import Period
from chalicelib.severity import Severity
from chalicelib.signin.parse import Result, SignIn
from chalicelib.signin.words import mfa_words, signin_principal
from chalicelib.store.attributes import (
    DAY_SECONDS,
    TTL_ATTRIBUTE,
    Write,
    epoch_of,
    expires_at,
    number,
    read_int,
)
from chalicelib.store.schema import routine_due_key, routine_entry_key

# A roll-up's state outlives its period by this much: the sweep has days to tell it.
DUE_KEEP_SECONDS = 7 * DAY_SECONDS
# Names are chosen by whoever signs in: an entry keeps a bounded amount of each.
MAX_ENTRY_FIELD = 200


@dataclass(frozen=True)
class RoutineEntry:
    event_id: str
    at: int  # the sign-in's event time, epoch seconds
    who: str  # as every message names the principal
    account_id: str
    source_ip: str
    country: str  # "" when unknown
    result: Result
    mfa: str  # the MFA words every message uses
    severity: Severity = Severity.INFO

    @classmethod
    def of(cls, signin: SignIn, severity: Severity) -> RoutineEntry:
        return cls(
            event_id=signin.event_id,
            at=epoch_of(signin.event_time),
            who=signin_principal(signin)[:MAX_ENTRY_FIELD],
            account_id=signin.account_id[:MAX_ENTRY_FIELD],
            source_ip=signin.source_ip[:MAX_ENTRY_FIELD],
            country=country_of(signin.source_ip) or "",
            result=signin.outcome,
            mfa=mfa_words(signin.mfa)[:MAX_ENTRY_FIELD],
            severity=severity,
        )

    def attributes(self) -> dict[str, Any]:
        return {
            "event_id": {"S": self.event_id},
            "at": number(self.at),
            "who": {"S": self.who},
            "account_id": {"S": self.account_id},
            "source_ip": {"S": self.source_ip},
            "country": {"S": self.country},
            "result": {"S": self.result.value},
            "mfa": {"S": self.mfa},
            "severity": {"S": self.severity.name},
        }

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> RoutineEntry:
        def text(name: str) -> str:
            return str(item.get(name, {}).get("S", ""))

        try:
            result = Result(text("result"))
        except ValueError:
            result = Result.UNKNOWN
        severity = Severity.__members__.get(text("severity"), Severity.INFO)
        return cls(
            event_id=text("event_id"),
            at=read_int(item, "at"),
            who=text("who"),
            account_id=text("account_id"),
            source_ip=text("source_ip"),
            country=text("country"),
            result=result,
            mfa=text("mfa"),
            severity=severity,
        )


def entry_writes(
    table: str,
    signin: SignIn,
    severity: Severity,
    period: Period,
    *,
    retention_days: int,
    now: float,
) -> list[Write]:
    """The sign-in's entry in its roll-up, and one more on the roll-up's count."""
    entry = RoutineEntry.of(signin, severity)
    put: Write = {
        "Put": {
            "TableName": table,
            "Item": {
                **routine_entry_key(period.id, entry.at, entry.event_id),
                **entry.attributes(),
                # Kept as long as the sign-in: /recent-logins lists it that long anyway.
                TTL_ATTRIBUTE: expires_at(entry.at, retention_days * DAY_SECONDS, now=now),
            },
        }
    }
    count: Write = {
        "Update": {
            "TableName": table,
            "Key": routine_due_key(period.id),
            "UpdateExpression": "ADD signins :one SET #ttl = :ttl",
            "ExpressionAttributeNames": {"#ttl": TTL_ATTRIBUTE},
            "ExpressionAttributeValues": {
                ":one": {"N": "1"},
                ":ttl": expires_at(period.end, DUE_KEEP_SECONDS, now=now),
            },
        }
    }
    return [put, count]
