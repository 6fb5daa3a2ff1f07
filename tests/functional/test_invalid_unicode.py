"""Property: GIVEN a sign-in record with a lone surrogate ("\\ud800", text that no UTF-8
encoder takes) in any one of its string values or keys WHEN the real handler runs THEN
it answers as for the clean record, its log line is strict UTF-8 (Lambda's stdout), the
ledger item is written, the Slack message is valid UTF-8 JSON, and `problems` names the
field.

Every string leaf and every key of the record is tried, one at a time."""

from __future__ import annotations

import copy
import io
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from chalicelib.container import Container
from chalicelib.store.schema import event_key
from localdev.slack_sink import SlackSink
from tests.conftest import TABLE, load_event
from tests.functional.conftest import Invoker

LONE = "\ud800"
REPLACED = "\ufffd"
Path = tuple[Any, ...]


@dataclass(frozen=True)
class Spot:
    """Where the surrogate goes: a string value, or the last key of `path`."""

    path: Path
    key: bool

    @property
    def dotted(self) -> str:
        """The field as `problems` names it (the key as replaced)."""
        text = ""
        for index, step in enumerate(self.path):
            name = f"{step}{REPLACED}" if self.key and index == len(self.path) - 1 else step
            text += f"[{name}]" if isinstance(step, int) else (f".{name}" if text else str(name))
        return text


def spots(node: Any, prefix: Path = ()) -> Iterator[Spot]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield Spot((*prefix, key), key=True)
            yield from spots(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from spots(value, (*prefix, index))
    elif isinstance(node, str) and prefix:
        yield Spot(prefix, key=False)


def with_text(event: dict[str, Any], spot: Spot, added: str) -> dict[str, Any]:
    """A copy of `event` with `added` appended to the spot's value or key."""
    changed = copy.deepcopy(event)
    parent: Any = changed
    for step in spot.path[:-1]:
        parent = parent[step]
    last = spot.path[-1]
    if spot.key:
        # Rebuilt in order, so only the key's text changes.
        items = list(parent.items())
        parent.clear()
        parent.update((f"{k}{added}" if k == last else k, v) for k, v in items)
    else:
        parent[last] += added
    return changed


def with_event_id(event: dict[str, Any], event_id: str) -> dict[str, Any]:
    """The record under another id (the envelope's too: it stands in for a missing one)."""
    changed = copy.deepcopy(event)
    changed["detail"]["eventID"] = event_id
    changed["id"] = f"envelope-{event_id}"
    return changed


class StrictStreams:
    """stdout and stderr as Lambda has them: UTF-8 that refuses what it cannot encode."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.out = io.BytesIO()
        self.err = io.BytesIO()
        for name, buffer in (("stdout", self.out), ("stderr", self.err)):
            stream = io.TextIOWrapper(buffer, encoding="utf-8", errors="strict", write_through=True)
            monkeypatch.setattr(sys, name, stream)

    def take(self) -> tuple[str, str]:
        """What was written since the last take, decoded strictly."""
        out = self.out.getvalue().decode("utf-8", errors="strict")
        err = self.err.getvalue().decode("utf-8", errors="strict")
        for buffer in (self.out, self.err):
            buffer.seek(0)
            buffer.truncate()
        return out, err


def strict_json(body: bytes) -> Any:
    """The body as UTF-8 JSON whose strings are all valid Unicode (a `\\ud800` escape
    is valid ASCII but not valid text)."""
    data = json.loads(body.decode("utf-8", errors="strict"))
    json.dumps(data, ensure_ascii=False).encode("utf-8", errors="strict")
    return data


def item_of(dynamodb: Any, event_id: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = dynamodb.get_item(
        TableName=TABLE, Key=event_key(event_id), ConsistentRead=True
    ).get("Item")
    return found


@pytest.mark.parametrize(
    ("name", "clean_outcome"),
    [("root_success_no_mfa.json", "posted"), ("switch_role.json", "not_alerted")],
)
def test_a_lone_surrogate_in_any_field_costs_nothing(
    name: str,
    clean_outcome: str,
    invoke: Invoker,
    configure: Callable[..., Container],
    slack_sink: SlackSink,
    dynamodb: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base = load_event(name)
    assert invoke(with_event_id(base, "clean"))["outcome"] == clean_outcome
    streams = StrictStreams(monkeypatch)
    tried = 0
    for number, spot in enumerate(spots(base)):
        event = with_event_id(base, f"case-{number}")
        if spot.key:
            # A key with U+FFFD is another key: the field is absent, which may change
            # the verdict. The oracle is that record, under an id of its own.
            twin = with_text(with_event_id(base, f"twin-{number}"), spot, REPLACED)
            expected = invoke(twin)["outcome"]
        else:
            expected = clean_outcome  # a value keeps its meaning
        streams.take()
        requests_before = len(slack_sink.requests)

        handled = invoke(with_text(event, spot, LONE))

        assert handled["outcome"] == expected, spot
        out, err = streams.take()
        assert "Logging error" not in err, spot
        [line] = [json.loads(text) for text in out.splitlines() if text.startswith("{")]
        assert line["event_id"] == handled["event_id"], spot
        assert line["SignIns"] == 1
        assert any(spot.dotted in problem for problem in line["problems"]), (spot, line)
        assert line["ParseProblems"] >= 1
        item = item_of(dynamodb, handled["event_id"])
        assert item is not None, spot
        assert any(spot.dotted in problem for problem in item["problems"]["SS"]), spot
        for request in slack_sink.requests[requests_before:]:
            strict_json(request.body)
        if expected == "posted":
            assert len(slack_sink.requests) > requests_before, spot
        tried += 1
    assert tried >= 30
