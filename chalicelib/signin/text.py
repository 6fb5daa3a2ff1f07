"""Event text made valid Unicode, once, before anything reads it.

A JSON string may hold a lone UTF-16 surrogate (`"\\ud800"`): Python reads it into a
`str` that no UTF-8 encoder takes. One such character in a user agent or a user name
would cost the JSON log line (Lambda's stdout is strict UTF-8), the ledger write and
the Slack message. `clean_event` walks the whole record (keys and string values) and
replaces what cannot be UTF-8 with U+FFFD; a proper surrogate pair becomes the one
character it encodes. It says which fields it changed, so the parser can record them
in `SignIn.problems`. Everything downstream (logs, DynamoDB, Slack) then sees valid
text and never cleans again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

REPLACEMENT = "\ufffd"
# Fields named in `problems` one by one; beyond this many they are counted.
MAX_NAMED_FIELDS = 8
# A field's path as `problems` names it (keys are chosen by whoever sends the record).
MAX_PATH_TEXT = 120
# Deeper than any sign-in record; a hostile one is cut here rather than recursing on.
MAX_DEPTH = 32


def valid_text(text: str) -> str:
    """`text` as valid Unicode: surrogate pairs joined, lone surrogates U+FFFD."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


@dataclass
class _Walk:
    changed: list[str] = field(default_factory=list)

    def note(self, path: str) -> None:
        self.changed.append(path[:MAX_PATH_TEXT])

    def value(self, node: Any, path: str, depth: int) -> Any:
        if isinstance(node, str):
            clean = valid_text(node)
            if clean is not node:
                self.note(path or "(the event)")
            return clean
        if depth >= MAX_DEPTH:
            return node
        if isinstance(node, Mapping):
            pairs = []
            changed = False
            for key, item in node.items():
                name = key
                if isinstance(key, str):
                    name = valid_text(key)
                    if name is not key:
                        self.note(f"{path}.{name}" if path else name)
                child = self.value(item, f"{path}.{name}" if path else str(name), depth + 1)
                changed = changed or name is not key or child is not item
                pairs.append((name, child))
            return dict(pairs) if changed else node
        if isinstance(node, list):
            items = [
                self.value(item, f"{path}[{index}]", depth + 1) for index, item in enumerate(node)
            ]
            changed = any(new is not old for new, old in zip(items, node, strict=True))
            return items if changed else node
        return node


@dataclass(frozen=True)
class CleanEvent:
    event: Any
    changed: tuple[str, ...]  # the paths of the keys and values that were replaced

    @property
    def problems(self) -> tuple[str, ...]:
        """What `SignIn.problems` records: each changed field by its path, up to
        `MAX_NAMED_FIELDS`, then how many more."""
        if not self.changed:
            return ()
        named = [f"text not valid Unicode in {path}" for path in self.changed[:MAX_NAMED_FIELDS]]
        rest = len(self.changed) - MAX_NAMED_FIELDS
        if rest > 0:
            named.append(f"text not valid Unicode in {rest} more fields")
        return tuple(named)


def _is_valid(node: Any, depth: int = 0) -> bool:
    """Whether every key and string is valid already: the common case, checked
    without building a single path."""
    if isinstance(node, str):
        return valid_text(node) is node
    if depth >= MAX_DEPTH:
        return True
    if isinstance(node, Mapping):
        return all(
            (not isinstance(key, str) or valid_text(key) is key) and _is_valid(item, depth + 1)
            for key, item in node.items()
        )
    if isinstance(node, list):
        return all(_is_valid(item, depth + 1) for item in node)
    return True


def _is_valid_quickly(event: Any) -> bool:
    """`_is_valid`, by the JSON encoder (C) where it can: an event read from JSON
    encodes as UTF-8 exactly when all its keys and strings are valid."""
    try:
        text = json.dumps(event, ensure_ascii=False, default=repr)
    except (TypeError, ValueError, RecursionError):
        return _is_valid(event)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def clean_event(event: Any) -> CleanEvent:
    """The event with every key and string made valid Unicode. A clean event comes back
    as the same object; a container with a changed part is a new one (the caller's
    event is never modified)."""
    if _is_valid_quickly(event):
        return CleanEvent(event, ())
    walk = _Walk()
    cleaned = walk.value(event, "", 0)
    return CleanEvent(cleaned, tuple(walk.changed))
