"""Property: GIVEN any fixture record with any field dropped, nulled or retyped WHEN it
goes through the handler THEN nothing raises, and it is recorded and alerted or skipped
for a stated reason."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.container import Container
from tests.conftest import fixture_records

RECORDS = [record["payload"] for record in fixture_records()]
Path = tuple[Any, ...]


def paths(node: Any, prefix: Path = ()) -> list[Path]:
    found: list[Path] = []
    if isinstance(node, dict):
        for key, value in node.items():
            found.append((*prefix, key))
            found.extend(paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.append((*prefix, index))
            found.extend(paths(value, (*prefix, index)))
    return found


REPLACEMENTS = st.one_of(
    st.none(),
    st.integers(),
    st.floats(allow_nan=True),
    st.booleans(),
    st.text(max_size=50),
    st.sampled_from(["<!channel>", "Yes", "No", "Failure", "x" * 5000, "", "Root", "global"]),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
)


@st.composite
def mutated_events(draw: st.DrawFn) -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(draw(st.sampled_from(RECORDS)))
    for _ in range(draw(st.integers(1, 4))):
        candidates = paths(event)
        if not candidates:
            break
        path = draw(st.sampled_from(candidates))
        parent = event
        for step in path[:-1]:
            parent = parent[step]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(REPLACEMENTS)
    return event


@pytest.fixture
def container(configure: Callable[..., Container]) -> Container:
    """One warm container for all examples, as in a Lambda that stays up."""
    return configure()


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(event=mutated_events())
def test_mutated_records_never_raise(container: Container, event: dict[str, Any]) -> None:
    handled = container.alerter.handle(event, deadline=float("inf"))
    assert handled.outcome.value in {"posted", "not_alerted", "duplicate"}
    if handled.outcome.value == "not_alerted":
        assert handled.reason
    assert container.ledger.get(handled.event_id) is not None
