"""GIVEN an organization's ledger as the bench's emulator holds it (bench.org_ledger)
and the same items in moto WHEN /recent-logins asks each of the bench's commands THEN
both give the same entries, counts and calls, each page ending at the same item: the
organization bench's figures are the ledger's, only faster to build.

moto ends an index Query's 1 MB page by the size of the base table's whole items (and
a number's byte per digit); DynamoDB by the index's own items (keys and projected
attributes, a byte per two digits), as the model does. Here moto measures as DynamoDB
does (`index_pages_as_dynamodb`): otherwise an attribute no index of every sign-in
projects (a skip reason, an origin) moves moto's page ends, and the model would have
to be wrong to agree."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.dynamodb.models.utilities import bytesize

from bench.org_emulator import Model
from bench.org_ledger import OrganizationLedger, population
from bench.recent_logins import COMMANDS, ORGANIZATION_COMMANDS
from chalicelib.recent_logins.command import parse_command
from chalicelib.recent_logins.history import SigninHistory
from chalicelib.settings import Settings
from chalicelib.store.provision import create_ledger_table

NOW = datetime(2026, 11, 20, 15, 55, 7, tzinfo=UTC)
TABLE = "bench-org"


class ModelClient:
    """The two calls the history makes, answered by the emulator's model in-process."""

    def __init__(self, model: Model) -> None:
        self._model = model
        self.calls = 0

    def query(self, **request: Any) -> dict[str, Any]:
        self.calls += 1
        return self._model.query(request)

    def batch_get_item(self, **request: Any) -> dict[str, Any]:
        self.calls += 1
        return self._model.batch_get(request)


class Recorder:
    """A client noting where each answer's page ends: the operation, how many items it
    returned and read, and where the next page starts (None: the read is whole)."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.pages: list[tuple[str, int, int, Any]] = []

    def query(self, **request: Any) -> dict[str, Any]:
        answer: dict[str, Any] = self._client.query(**request)
        page = (answer["Count"], answer["ScannedCount"], answer.get("LastEvaluatedKey"))
        self.pages.append(("Query", *page))
        return answer

    def batch_get_item(self, **request: Any) -> dict[str, Any]:
        answer: dict[str, Any] = self._client.batch_get_item(**request)
        returned = sum(len(items) for items in answer["Responses"].values())
        self.pages.append(
            ("BatchGetItem", returned, returned, answer.get("UnprocessedKeys") or None)
        )
        return answer


def _value_size(value: DynamoType) -> int:
    """DynamoDB's size of a value: a number takes a byte per two digits and one more
    (moto counts a byte per digit)."""
    if value.is_number():
        return len(str(value.value).lstrip("-")) // 2 + 1
    return value.size()


@contextmanager
def index_pages_as_dynamodb() -> Iterator[None]:
    """While a Query reads an index that projects some attributes, an item's size (what
    moto's 1 MB page counts) is that of its index item: keys and projected attributes."""
    reading = threading.local()
    original_query, original_size = Table.query, Item.size

    def query(self: Table, *args: Any, **kwargs: Any) -> Any:
        # moto's positional order: ..., projection_expressions, index_name, ...
        index_name = args[7] if len(args) > 7 else kwargs.get("index_name")
        index = self.get_index(index_name) if index_name else None
        projection = index.projection.get("ProjectionType") if index else None
        reading.projected = None
        if index is not None and projection in ("KEYS_ONLY", "INCLUDE"):
            keys = [*index.table_key_attrs, *(key["AttributeName"] for key in index.schema)]
            extra = index.projection.get("NonKeyAttributes", []) if projection == "INCLUDE" else []
            reading.projected = frozenset([*keys, *extra])
        try:
            return original_query(self, *args, **kwargs)
        finally:
            reading.projected = None

    def size(self: Item) -> int:
        projected = getattr(reading, "projected", None)
        if projected is None:
            return original_size(self)
        return sum(
            bytesize(name) + _value_size(value)
            for name, value in self.attrs.items()
            if name in projected
        )

    Table.query = query  # type: ignore[method-assign]
    Item.size = size  # type: ignore[method-assign]
    try:
        yield
    finally:
        Table.query = original_query  # type: ignore[method-assign]
        Item.size = original_size  # type: ignore[method-assign]


# A name part of more IAM users than one BatchGetItem of their directory items holds,
# over 90 days: its filtered read of every sign-in is more than 1 MB of index items at
# 3,000 sign-ins, so a page ends inside the window.
PAGE_END = "svc-0 since 90d"
Ledgers = tuple[SigninHistory, Recorder, SigninHistory, Recorder]


@pytest.fixture(scope="module")
def ledgers() -> Iterator[Ledgers]:
    ledger = OrganizationLedger(3_000, now=NOW)
    model = Recorder(ModelClient(Model({TABLE: ledger}, call_ms=0, per_mb=0)))
    with mock_aws(), index_pages_as_dynamodb():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_ledger_table(client, TABLE, poll_seconds=0)
        table = dynamodb_backends["123456789012"]["us-east-1"].get_table(TABLE)
        for number in range(len(ledger.epochs)):
            table.put_item(ledger.item(number))
        for item in ledger.items.values():
            table.put_item(item)
        moto = Recorder(client)
        yield (
            SigninHistory(model, TABLE, clock=lambda: NOW),
            model,
            SigninHistory(moto, TABLE, clock=lambda: NOW),
            moto,
        )


@pytest.mark.parametrize("text", (*COMMANDS, *ORGANIZATION_COMMANDS, PAGE_END))
def test_the_model_answers_as_moto_does(ledgers: Ledgers, text: str) -> None:
    modelled, model, emulated, moto = ledgers
    query = parse_command(text, Settings()).to_query(NOW)
    model.pages.clear()
    moto.pages.clear()

    from_model = modelled.recent(query)
    from_moto = emulated.recent(query)

    assert [entry.event_id for entry in from_model.entries] == [
        entry.event_id for entry in from_moto.entries
    ]
    assert from_model.entries == from_moto.entries
    assert from_model.window == from_moto.window and from_model.matched == from_moto.matched
    # Each call's page ends where moto's does: the same items read, the same next key.
    assert model.pages == moto.pages
    assert len(model.pages) == from_model.calls == from_moto.calls


def test_a_page_ends_where_moto_s_does(ledgers: Ledgers) -> None:
    modelled, model, emulated, moto = ledgers
    query = parse_command(PAGE_END, Settings()).to_query(NOW)
    model.pages.clear()
    moto.pages.clear()

    modelled.recent(query)
    emulated.recent(query)

    ends = [page for page in moto.pages if page[0] == "Query" and page[3] is not None]
    assert ends and model.pages == moto.pages


def test_the_model_is_an_organization() -> None:
    principals = population()
    ledger = OrganizationLedger(3_000, now=NOW)

    assert len(principals) == 50_000
    assert len({principal.account_id for principal in principals}) == 500
    # each principal is catalogued by its first sign-in: 3,000 reach most accounts
    assert ledger.accounts > 450 and 2_000 < ledger.principals <= 3_000
