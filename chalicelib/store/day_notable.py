"""The digest's named sign-ins: every sign-in of root, of a watched principal and of a
critical principal gets a line in its day (`DAY#<date>`/`NOTABLE#<time>#<eventID>`),
written in its commit, with its time, so the digest names each one. Failures a burst
tells (held back by storm control) get none: the burst's line counts them, and a
brute-force of thousands keeps the digest's one Query small.
"""

from __future__ import annotations

from datetime import date

from chalicelib.judge.rules import Skip, Verdict, matches_any
from chalicelib.settings import Settings
from chalicelib.signin.parse import SignIn
from chalicelib.signin.words import signin_principal
from chalicelib.store.attributes import TTL_ATTRIBUTE, Write, epoch_of, number
from chalicelib.store.schema import day_item_key, day_of

NOTABLE_PREFIX = "NOTABLE#"
TOLD_BY_BURST = frozenset({Skip.HELD_BACK, Skip.PART_OF_BURST})


def notable_kind(signin: SignIn, verdict: Verdict, settings: Settings) -> str:
    """`critical`, `root` or `watched`, or "" for a sign-in the digest only counts."""
    if verdict.skip in TOLD_BY_BURST or verdict.skip is Skip.RECORD_ONLY:
        return ""
    if matches_any(signin, settings.critical_principals):
        return "critical"
    if signin.is_root:
        return "root"
    if matches_any(signin, settings.watch_principals):
        return "watched"
    return ""


def notable_put(table: str, signin: SignIn, kind: str, ttl: dict[str, str]) -> Write:
    at = epoch_of(signin.event_time)
    text = (
        f"{kind}: {signin_principal(signin)} ({signin.account_id}), "
        f"{signin.outcome.value} from {signin.source_ip}"
    )
    day = date.fromisoformat(day_of(signin.event_time))
    sort_key = f"{NOTABLE_PREFIX}{max(0, at):011d}#{signin.event_id}"
    return {
        "Put": {
            "TableName": table,
            "Item": {
                **day_item_key(day, sort_key),
                "text": {"S": text[:1000]},
                "at": number(at),
                TTL_ATTRIBUTE: ttl,
            },
        }
    }
