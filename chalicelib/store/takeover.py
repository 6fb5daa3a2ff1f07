"""A principal's takeover item in DynamoDB (changes/takeover.py decides).

`TAKEOVER#<principal>`/`TAKEOVER` holds the principal's recent takeover steps and its
recent console sign-ins, each a small mark, and a version. A sign-in and a change of one
principal each read it in their gather and put it whole in their commit, only if its
version is still the one read: handled at once, one of them loses the race, gathers
again and sees the other.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from chalicelib.store.attributes import (
    DAY_SECONDS,
    TTL_ATTRIBUTE,
    Write,
    expires_at,
    number,
    read_int,
    versioned_put,
)

MAX_MARKS = 20  # of each kind: more in one window is a storm, told by storm control


@dataclass(frozen=True)
class StepMark:
    """A takeover step: when (event time), what and by whom, in a message's words."""

    event_id: str
    at: int
    what: str  # "Console password of IAM user bob reset"
    by: str  # "role IAM, session alice"


@dataclass(frozen=True)
class SigninMark:
    event_id: str
    at: int
    source_ip: str


@dataclass(frozen=True)
class TakeoverState:
    version: int = 0
    steps: tuple[StepMark, ...] = ()
    signins: tuple[SigninMark, ...] = ()


def _marks(item: Mapping[str, Any], name: str) -> list[dict[str, Any]]:
    try:
        loaded = json.loads(item.get(name, {}).get("S", "[]"))
    except (TypeError, ValueError):
        return []
    return [mark for mark in loaded if isinstance(mark, dict)] if isinstance(loaded, list) else []


def state_of(item: Mapping[str, Any] | None) -> TakeoverState:
    """The stored state; an unreadable mark is dropped, never raised on."""
    if item is None:
        return TakeoverState()
    steps, signins = [], []
    for mark in _marks(item, "steps"):
        try:
            steps.append(StepMark(str(mark["event_id"]), int(mark["at"]), str(mark["what"]),
                                  str(mark["by"])))  # fmt: skip
        except (KeyError, TypeError, ValueError):
            continue
    for mark in _marks(item, "signins"):
        try:
            signins.append(SigninMark(str(mark["event_id"]), int(mark["at"]),
                                      str(mark["source_ip"])))  # fmt: skip
        except (KeyError, TypeError, ValueError):
            continue
    return TakeoverState(read_int(item, "version"), tuple(steps), tuple(signins))


def takeover_put(
    table: str,
    key: Mapping[str, Any],
    state: TakeoverState,
    *,
    seen: int,
    keep_seconds: int,
    now: float,
) -> Write:
    """The whole item, only if nobody wrote it since it was read at version `seen`."""
    times = [mark.at for mark in state.steps] + [mark.at for mark in state.signins]
    newest = max(times, default=int(now))
    item: dict[str, Any] = {
        **key,
        "version": number(state.version),
        "steps": {"S": json.dumps([asdict(mark) for mark in state.steps])},
        "signins": {"S": json.dumps([asdict(mark) for mark in state.signins])},
        # Kept a day past the window of its newest mark.
        TTL_ATTRIBUTE: expires_at(newest, keep_seconds + DAY_SECONDS, now=now),
    }
    return versioned_put(table, item, seen)
