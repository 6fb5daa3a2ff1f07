"""Property: GIVEN any fixture record with any field dropped, nulled or retyped WHEN it
goes through the handler THEN nothing raises, and it is recorded and alerted or skipped
for a stated reason.

The parser, the rules, the alert message and the ledger item meet many more such
records in tests/unit/test_mutated_records.py; here a handful take the whole path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from chalicelib.container import Container
from tests.mutated_records import mutated_events


@pytest.fixture
def container(configure: Callable[..., Container]) -> Container:
    """One warm container for all examples, as in a Lambda that stays up."""
    return configure()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(event=mutated_events())
def test_mutated_records_never_raise(container: Container, event: dict[str, Any]) -> None:
    handled = container.alerter.handle(event, deadline=float("inf"))
    assert handled.outcome.value in {"posted", "not_alerted", "duplicate"}
    if handled.outcome.value == "not_alerted":
        assert handled.reason
    assert container.ledger.get(handled.event_id) is not None
