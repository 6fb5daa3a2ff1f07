"""A ledger of many sign-ins, loaded fast: the items `Ledger.record` would leave (event
items, the day's `COUNT` and `HOURS` counters, directory items; not the digest's
`PRINCIPAL#` lines), written with
BatchWriteItem instead of one transaction each. For the bench and the tests that
count calls at 100,000 sign-ins.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.judge.places import Places
from chalicelib.judge.rules import Verdict, evaluate
from chalicelib.settings import Settings
from chalicelib.signin.parse import SignIn, parse_signin
from chalicelib.store.attributes import TTL_ATTRIBUTE
from chalicelib.store.day_tally import day_counts, hour_counts
from chalicelib.store.directory_tally import DirectoryTally
from chalicelib.store.ledger import Ledger
from chalicelib.store.listing import is_listed
from chalicelib.store.schema import day_counter_key, day_hours_key, day_of
from localdev.signins import Login

_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def ledger_items(logins: Iterable[Login], *, now: datetime, table: str) -> list[dict[str, Any]]:
    ledger = Ledger(None, table, clock=lambda: now)
    settings = Settings()
    items: list[dict[str, Any]] = []
    counters: dict[str, Counter[str]] = {}
    hours: dict[str, Counter[str]] = {}
    directory = DirectoryTally()
    # Parsing and judging a record takes a fraction of a millisecond, which 100,000
    # times is most of a minute: each kind of sign-in (who, where, how) is parsed and
    # judged once, and each sign-in is that with its own id, time and source IP.
    judged: dict[Login, tuple[SignIn, Verdict]] = {}
    for login in logins:
        kind = replace(login, event_id="", at=_EPOCH, source_ip="")
        if kind not in judged:
            parsed = parse_signin(kind.record(), received_at=now)
            judged[kind] = (parsed, evaluate(parsed, settings))
        template, verdict = judged[kind]
        signin = replace(
            template,
            event_id=login.event_id,
            event_time=login.at.astimezone(UTC).replace(microsecond=0),
            source_ip=login.source_ip,
        )
        items.append(ledger.item_for(signin, verdict))
        day = day_of(signin.event_time)
        counters.setdefault(day, Counter()).update(day_counts(signin, Places()))
        if is_listed(signin):
            hours.setdefault(day, Counter()).update(hour_counts(signin))
            directory.add(signin)
    expires = str(int((now + timedelta(days=92)).timestamp()))
    for key, tallies in ((day_counter_key, counters), (day_hours_key, hours)):
        for day, counts in tallies.items():
            item = {**key(day), TTL_ATTRIBUTE: {"N": expires}}
            item.update({name: {"N": str(value)} for name, value in counts.items()})
            items.append(item)
    return items + directory.items()


def bulk_write(client: Any, table: str, items: list[dict[str, Any]], *, threads: int = 8) -> None:
    chunks = [items[start : start + 25] for start in range(0, len(items), 25)]

    def write(chunk: list[dict[str, Any]]) -> None:
        requests = [{"PutRequest": {"Item": item}} for item in chunk]
        while requests:
            response = client.batch_write_item(RequestItems={table: requests})
            requests = response.get("UnprocessedItems", {}).get(table, [])

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(write, chunks))
