"""A principal's newest sign-ins, kept in its directory item: the `at` keys of up to
`RING_SIZE` sign-ins, newest first, each with its categories, so that `/recent-logins`
learns which sign-ins are newest across a hundred principals with one BatchGetItem.

What a reader may rely on: every sign-in of the principal whose key is at or after the
ring's oldest is in the ring; when the directory's count says the principal has no
more sign-ins than the ring holds, the ring holds them all. Each commit keeps this:
the ring it writes is the one it read with its sign-in placed, the oldest beyond
`RING_SIZE` dropped, conditional on the ring being unchanged (a sign-in of the same
principal committed meanwhile makes it a lost race, placed again on a new read); a
sign-in older than a full ring's oldest leaves the ring alone, as does one older than
what a ring begun after the principal's first sign-in holds.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.signin.parse import SignIn
from chalicelib.store.attributes import base36, read_int
from chalicelib.store.listing import categories_of
from chalicelib.store.schema import (
    CATEGORY_RINGS,
    DIRECTORY_COUNT_PREFIX,
    TOTAL_COUNTER,
    Category,
    ring_attribute,
    ring_size,
)

# A ring that could not hold a sign-in (its key had the separator): never proves.
BROKEN = "!"
_SEPARATOR = " "
_CODES = {category: category.value[0] for category in Category}
_CATEGORIES = {code: category for category, code in _CODES.items()}
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_PACKED = "~"  # after the epoch: a UUID eventID in base64 follows (`#`: the eventID)


@dataclass(frozen=True)
class RingEntry:
    at: str  # the sign-in's `at` key: `<epoch>#<eventID>`
    categories: frozenset[Category]

    @property
    def event_id(self) -> str:
        return self.at.partition("#")[2]

    def text(self) -> str:
        """Compact, as every sign-in's commit writes it: the epoch in base 36, an
        eventID that is a UUID in base64 (22 characters, not 36), the categories."""
        epoch, _, event_id = self.at.partition("#")
        codes = "".join(sorted(_CODES[c] for c in self.categories))
        if _UUID.fullmatch(event_id):
            packed = base64.urlsafe_b64encode(uuid.UUID(event_id).bytes).decode()[:22]
            return f"{base36(int(epoch))}{_PACKED}{packed}/{codes}"
        return f"{base36(int(epoch))}#{event_id}/{codes}"

    @classmethod
    def parse(cls, text: str) -> RingEntry:
        entry, _, codes = text.rpartition("/")
        marker = next(position for position, c in enumerate(entry) if not c.isalnum())
        epoch, event_id = int(entry[:marker], 36), entry[marker + 1 :]
        if entry[marker] == _PACKED:
            event_id = str(uuid.UUID(bytes=base64.urlsafe_b64decode(event_id + "==")))
        categories = frozenset(_CATEGORIES[c] for c in codes if c in _CATEGORIES)
        return cls(f"{epoch:010d}#{event_id}", categories)


@dataclass(frozen=True)
class RingChange:
    """The ring a commit writes (of every sign-in, or of one category), and the one it
    read (None: there was none)."""

    category: Category | None
    read: str | None
    written: str


def at_key(signin: SignIn) -> str:
    """The sign-in's `at` key, as `listing.listing_attributes` writes it."""
    return f"{max(0, int(signin.event_time.timestamp())):010d}#{signin.event_id}"


def parse_ring(text: str | None) -> tuple[RingEntry, ...] | None:
    """The ring's entries, newest first; None when there is none or it is broken."""
    if text is None or text == BROKEN:
        return None
    return tuple(RingEntry.parse(part) for part in text.split(_SEPARATOR) if part)


def ring_of(item: Mapping[str, Any] | None, category: Category | None = None) -> str | None:
    if item is None:
        return None
    value = item.get(ring_attribute(category), {}).get("S")
    return value if isinstance(value, str) else None


def ring_classes(signin: SignIn) -> list[Category | None]:
    """The rings a sign-in belongs in: every sign-in's, and its categories' own."""
    return [None, *sorted(categories_of(signin) & CATEGORY_RINGS.keys())]


def ring_change(
    signin: SignIn, item: Mapping[str, Any] | None, category: Category | None = None
) -> RingChange | None:
    """What the sign-in's commit writes to a ring (of every sign-in, or of `category`)
    of its principal's directory `item` (as read; None: a new principal), or None when
    the ring stays as it is."""
    read = ring_of(item, category)
    at = at_key(signin)
    counter = TOTAL_COUNTER if category is None else category.value
    signins = read_int(item, DIRECTORY_COUNT_PREFIX + counter) if item else 0
    if _SEPARATOR in at:
        return None if read == BROKEN else RingChange(category, read, BROKEN)
    mine = RingEntry(at, categories_of(signin))
    entries = parse_ring(read)
    if entries is None:
        if read == BROKEN:
            return None
        # No ring yet: begun only where it holds everything from its oldest on (the
        # first of its kind, or the principal's newest sign-in).
        last = read_int(item, "last_seen") if item and "last_seen" in item else -1
        if signins and int(at[:10]) <= last:
            return None
        return RingChange(category, None, mine.text())
    if any(entry.at == at for entry in entries):
        return None
    whole = signins <= len(entries)
    oldest = entries[-1].at if entries else ""
    size = ring_size(category)
    if (len(entries) >= size or not whole) and (not entries or at < oldest):
        return None
    placed = sorted([*entries, mine], key=lambda entry: entry.at, reverse=True)[:size]
    return RingChange(category, read, _SEPARATOR.join(entry.text() for entry in placed))


def ring_changes(signin: SignIn, item: Mapping[str, Any] | None) -> list[RingChange]:
    changes = (ring_change(signin, item, category) for category in ring_classes(signin))
    return [change for change in changes if change is not None]


def ring_write(
    change: RingChange, names: dict[str, str], values: dict[str, Any]
) -> tuple[str, str]:
    """The SET clause and the condition that write `change`, their names and values
    added to `names` and `values`."""
    tag = "ring" if change.category is None else f"ring_{change.category.value}"
    names[f"#{tag}"] = ring_attribute(change.category)
    values[f":{tag}"] = {"S": change.written}
    if change.read is None:
        return f"#{tag} = :{tag}", f"attribute_not_exists(#{tag})"
    values[f":{tag}_read"] = {"S": change.read}
    return f"#{tag} = :{tag}", f"#{tag} = :{tag}_read"
