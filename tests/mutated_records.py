"""Every fixture record with fields dropped, nulled or retyped: a hypothesis strategy
for the parser's property tests (tests/unit) and the handler's (tests/functional)."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

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
    # Lone surrogates: JSON can carry them, no UTF-8 encoder takes them.
    st.sampled_from(["\ud800", "Mozilla/5.0 \udcff", "Yes\ud83d", "\ud83d\ude00"]),
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
