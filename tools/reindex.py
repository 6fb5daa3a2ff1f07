"""`manage.py reindex`: bring sign-ins recorded before the current schema up to it.

A sign-in item written by an older version lacks the index attributes `/recent-logins`
reads (so it is not listed), may be missing from the day counters, and has no
principal in the directory. This reads every event item older than
`SCHEMA_VERSION` (a Scan: an operator's one-off, never the command's path) and, per
item, in one transaction: sets what the current schema derives from the recorded
sign-in, counts it in its day if no version counted it, and keeps its principal in the
directory if no version did (schema 2 on did). The transaction is conditional on the
item's version, so a second run, or two runs at once, change nothing twice.

Then it puts every principal of the directory into the catalog (what
`/recent-logins WHO` reads in place of the retired one-partition `directory` index): a
Scan of the directory items, an ADD to a set per catalog shard, so a second run adds
nothing.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from chalicelib.judge.places import Places
from chalicelib.signin.parse import SignIn
from chalicelib.store.attributes import read_int
from chalicelib.store.catalog_entry import catalog_entry
from chalicelib.store.day_tally import day_writes
from chalicelib.store.directory import transact_with_directory
from chalicelib.store.indexes import RETIRED_ATTRIBUTES
from chalicelib.store.ledger import Ledger
from chalicelib.store.listing import listing_attributes, signin_from_item
from chalicelib.store.schema import (
    CATALOG_ENTRIES,
    DIRECTORY_SCHEMA,
    SCHEMA_ATTRIBUTE,
    SCHEMA_VERSION,
    catalog_key,
    catalog_shard,
)
from tools.cli import add_env_options, session
from tools.stages import env_stages, ledger_of

# Entries per catalog update: a request of well under 400 KB.
CATALOG_CHUNK = 500


@dataclass
class ReindexSummary:
    scanned: int = 0  # event items older than the schema
    upgraded: int = 0
    counted: int = 0  # of which newly counted in their day's counters
    unreadable: int = 0  # no event time or id to rebuild the sign-in from
    already: int = 0  # upgraded by someone else meanwhile
    catalogued: int = 0  # directory principals put in the catalog (already there or not)

    def line(self) -> str:
        return (
            f"{self.scanned:,} sign-ins older than schema {SCHEMA_VERSION}: "
            f"{self.upgraded:,} brought up to it ({self.counted:,} newly counted), "
            f"{self.already:,} already done, {self.unreadable:,} unreadable; "
            f"{self.catalogued:,} principals in the catalog"
        )


class ProgressBar:
    """Items read out of the table's (approximate) item count, on one line of stderr;
    plain lines every 10% when stderr is not a terminal."""

    def __init__(self, total: int, stream: TextIO | None = None, *, width: int = 30) -> None:
        self._total = max(1, total)
        self._stream = stream or sys.stderr
        self._width = width
        self._tty = self._stream.isatty()
        self._shown = -1

    def update(self, read: int, summary: ReindexSummary) -> None:
        fraction = min(1.0, read / self._total)
        if not self._tty:
            tenth = int(fraction * 10)
            if tenth > self._shown:
                self._shown = tenth
                self._stream.write(f"reindex: {fraction:4.0%}, {summary.upgraded:,} upgraded\n")
            return
        filled = int(self._width * fraction)
        bar = "#" * filled + "." * (self._width - filled)
        self._stream.write(
            f"\rreindex [{bar}] {fraction:4.0%}  {read:,} items read, {summary.upgraded:,} upgraded"
        )
        if fraction >= 1.0:
            self._stream.write("\n")
        self._stream.flush()


class Reindex:
    def __init__(self, dynamodb: Any, ledger: Ledger, *, stream: TextIO | None = None) -> None:
        self._db = dynamodb
        self._ledger = ledger
        self._table = ledger.table_name
        self._stream = stream

    def run(self) -> ReindexSummary:
        summary = ReindexSummary()
        total = self._db.describe_table(TableName=self._table)["Table"].get("ItemCount", 0)
        progress = ProgressBar(total, self._stream)
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "FilterExpression": "begins_with(pk, :event) AND "
            "(attribute_not_exists(#schema) OR #schema < :version)",
            "ExpressionAttributeNames": {"#schema": SCHEMA_ATTRIBUTE},
            "ExpressionAttributeValues": {
                ":event": {"S": "EVENT#"},
                ":version": {"N": str(SCHEMA_VERSION)},
            },
        }
        read = 0
        while True:
            page = self._db.scan(**arguments)
            read += page.get("ScannedCount", 0)
            for item in page.get("Items", []):
                summary.scanned += 1
                self._upgrade(item, summary)
            progress.update(read if "LastEvaluatedKey" in page else total, summary)
            if "LastEvaluatedKey" not in page:
                summary.catalogued = self.catalog()
                return summary
            arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def catalog(self) -> int:
        """Every directory item's principal into its catalog shard; how many."""
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "FilterExpression": "begins_with(pk, :principal) AND sk = :directory",
            "ExpressionAttributeValues": {
                ":principal": {"S": "PRINCIPAL#"},
                ":directory": {"S": "DIRECTORY"},
            },
        }
        shards: dict[int, set[str]] = {}
        while True:
            page = self._db.scan(**arguments)
            for item in page.get("Items", []):
                principal = item.get("principal", {}).get("S") or str(item["pk"]["S"])[10:]
                entry = catalog_entry(
                    item.get("account_id", {}).get("S", "unknown"),
                    item.get("principal_name", {}).get("S", ""),
                    item.get("who", {}).get("S", ""),
                    principal,
                )
                shards.setdefault(catalog_shard(principal), set()).add(entry)
            if "LastEvaluatedKey" not in page:
                break
            arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        for shard, entries in sorted(shards.items()):
            ordered = sorted(entries)
            for start in range(0, len(ordered), CATALOG_CHUNK):
                self._db.update_item(
                    TableName=self._table,
                    Key=catalog_key(shard),
                    UpdateExpression="ADD #entries :entries",
                    ExpressionAttributeNames={"#entries": CATALOG_ENTRIES},
                    ExpressionAttributeValues={
                        ":entries": {"SS": ordered[start : start + CATALOG_CHUNK]}
                    },
                )
        return sum(len(entries) for entries in shards.values())

    def _upgrade(self, item: dict[str, Any], summary: ReindexSummary) -> None:
        signin = signin_from_item(item)
        if signin is None:
            summary.unreadable += 1
            return
        derived = listing_attributes(signin)
        entries = [self._rewrite(item, derived)]
        if derived:
            counted = "day" in item  # schema 1 counted what it indexed
            if not counted:
                entries += day_writes(
                    self._table, signin, Places(), retention_days=self._ledger.retention_days
                )
            # From schema 2 on, the sign-in's own write kept the directory.
            directory = read_int(item, SCHEMA_ATTRIBUTE) < DIRECTORY_SCHEMA
            if self._commit(signin, entries, directory=directory):
                summary.upgraded += 1
                summary.counted += not counted
            else:
                summary.already += 1
            return
        if self._commit(signin, entries, directory=False):
            summary.upgraded += 1
        else:
            summary.already += 1

    def _rewrite(self, item: dict[str, Any], derived: dict[str, Any]) -> dict[str, Any]:
        values = {**derived, SCHEMA_ATTRIBUTE: {"N": str(SCHEMA_VERSION)}}
        names = {f"#a{number}": name for number, name in enumerate(values)}
        placeholders = {f":a{number}": value for number, value in enumerate(values.values())}
        expression = "SET " + ", ".join(f"#a{n} = :a{n}" for n in range(len(values)))
        retired = [name for name in RETIRED_ATTRIBUTES if name in item]
        if retired:
            names |= {f"#r{number}": name for number, name in enumerate(retired)}
            expression += " REMOVE " + ", ".join(f"#r{n}" for n in range(len(retired)))
        names["#schema"] = SCHEMA_ATTRIBUTE
        return {
            "Update": {
                "TableName": self._table,
                "Key": {"pk": item["pk"], "sk": item["sk"]},
                "UpdateExpression": expression,
                "ConditionExpression": "attribute_exists(pk) AND "
                "(attribute_not_exists(#schema) OR #schema < :version)",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": {
                    **placeholders,
                    ":version": {"N": str(SCHEMA_VERSION)},
                },
            }
        }

    def _commit(self, signin: SignIn, entries: list[dict[str, Any]], *, directory: bool) -> bool:
        """True when written; False when the item's version said it was done."""
        if directory:
            return transact_with_directory(self._db, self._table, signin, entries) is None
        try:
            self._db.transact_write_items(TransactItems=entries)
        except self._db.exceptions.TransactionCanceledException:
            return False
        return True


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "reindex",
        help="bring sign-ins recorded by older versions up to the current schema",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    add_env_options(parser)
    parser.set_defaults(run=run)


def reindex(dynamodb: Any, table: str, retention_days: int) -> ReindexSummary:
    ledger = Ledger(dynamodb, table, clock=lambda: datetime.now(UTC), retention_days=retention_days)
    return Reindex(dynamodb, ledger).run()


def run(args: argparse.Namespace) -> int:
    from chalicelib.settings import Settings

    stages = env_stages(args.env, args.regions, args.project_dir)
    table, region = ledger_of(stages)
    settings = Settings.from_env(stages[0].environment)
    dynamodb = session().client("dynamodb", region_name=region)
    print(f"ledger table {table} in {region}")
    print(reindex(dynamodb, table, settings.ledger_retention_days).line())
    return 0
