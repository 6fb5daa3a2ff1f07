"""GIVEN an organization's ledger as the bench's emulator holds it (bench.org_ledger)
and the same items in moto WHEN /recent-logins asks each of the bench's commands THEN
both give the same entries, counts and number of calls: the organization bench's
figures are the ledger's, only faster to build."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models import dynamodb_backends

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


@pytest.fixture(scope="module")
def ledgers() -> Iterator[tuple[SigninHistory, ModelClient, SigninHistory]]:
    ledger = OrganizationLedger(3_000, now=NOW)
    model = ModelClient(Model({TABLE: ledger}, call_ms=0, per_mb=0))
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_ledger_table(client, TABLE, poll_seconds=0)
        table = dynamodb_backends["123456789012"]["us-east-1"].get_table(TABLE)
        for number in range(len(ledger.epochs)):
            table.put_item(ledger.item(number))
        for item in ledger.items.values():
            table.put_item(item)
        yield (
            SigninHistory(model, TABLE, clock=lambda: NOW),
            model,
            SigninHistory(client, TABLE, clock=lambda: NOW),
        )


@pytest.mark.parametrize("text", COMMANDS + ORGANIZATION_COMMANDS)
def test_the_model_answers_as_moto_does(
    ledgers: tuple[SigninHistory, ModelClient, SigninHistory], text: str
) -> None:
    modelled, client, emulated = ledgers
    query = parse_command(text, Settings()).to_query(NOW)
    client.calls = 0

    from_model = modelled.recent(query)
    from_moto = emulated.recent(query)

    assert [entry.event_id for entry in from_model.entries] == [
        entry.event_id for entry in from_moto.entries
    ]
    assert from_model.entries == from_moto.entries
    assert from_model.window == from_moto.window and from_model.matched == from_moto.matched
    assert client.calls == from_model.calls == from_moto.calls


def test_the_model_is_an_organization() -> None:
    principals = population()
    ledger = OrganizationLedger(3_000, now=NOW)

    assert len(principals) == 50_000
    assert len({principal.account_id for principal in principals}) == 500
    # each principal is catalogued by its first sign-in: 3,000 reach most accounts
    assert ledger.accounts > 450 and 2_000 < ledger.principals <= 3_000
