"""Property: GIVEN any fixture record with any field dropped, nulled or retyped WHEN it
is parsed, judged, worded for Slack and made into a ledger item THEN nothing raises,
every skip has a reason, the message keeps Slack's limits and the item its key.

The same records through the real handler, a handful: tests/functional."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings

from chalicelib.judge.rules import evaluate
from chalicelib.settings import Settings
from chalicelib.signin.parse import SignIn, parse_signin
from chalicelib.slack.alert_message import build_message
from chalicelib.slack.blocks import MAX_BLOCKS, MAX_FIELD_TEXT, MAX_NOTIFICATION_TEXT
from chalicelib.store.indexes import table_definition
from chalicelib.store.ledger import Ledger
from chalicelib.store.listing import is_listed, listing_attributes
from tests.mutated_records import mutated_events

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SETTINGS = Settings()
LEDGER = Ledger(None, "signin-alerts-test", clock=lambda: NOW)  # item_for never calls AWS
# The table's and its indexes' keys: DynamoDB refuses an item with one of them empty.
KEYS = {d["AttributeName"] for d in table_definition("any")["AttributeDefinitions"]}


@settings(max_examples=300, deadline=None)
@given(event=mutated_events())
def test_mutated_records_never_raise_and_keep_their_promises(event: dict[str, Any]) -> None:
    signin = parse_signin(event, received_at=NOW)
    assert isinstance(signin, SignIn)
    assert signin.event_id

    verdict = evaluate(signin, SETTINGS)
    assert verdict.alert or verdict.skip_reason

    item = LEDGER.item_for(signin, verdict)
    json.dumps(item, ensure_ascii=False).encode("utf-8")  # valid text, whatever came in
    assert all(item[key].get("S") for key in KEYS & item.keys())
    if is_listed(signin):
        assert listing_attributes(signin)

    if verdict.alert:
        message = build_message(signin, verdict, SETTINGS)
        json.dumps(message, ensure_ascii=False).encode("utf-8")
        assert len(message["text"]) <= MAX_NOTIFICATION_TEXT
        assert len(message["blocks"]) <= MAX_BLOCKS
        for block in message["blocks"]:
            for field in block.get("fields", []):
                assert len(field["text"]) <= MAX_FIELD_TEXT
