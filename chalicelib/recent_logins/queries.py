"""What `/recent-logins` asks the ledger, and what it gets back: the query, the window's
counts, the listed entries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from chalicelib.signin.parse import NameStatus
from chalicelib.store.indexes import NAME_STATUS_ATTRIBUTE
from chalicelib.store.listing import counter_names, stored_name_status
from chalicelib.store.schema import EPOCH_ATTRIBUTE, TOTAL_COUNTER, Category


@dataclass(frozen=True)
class HistoryQuery:
    limit: int
    since: datetime
    categories: frozenset[Category] = frozenset()
    who: str = ""  # case-insensitive substring of the display name or ARN
    account_id: str = ""  # one account; joins `account_ids`
    # Accounts, any of which (`account ou:Workloads`: every account under that OU).
    account_ids: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.account_id:
            object.__setattr__(self, "account_ids", self.account_ids | {self.account_id})

    @property
    def unindexed(self) -> bool:
        """Filters the counters cannot count: they resolve through the directory."""
        return bool(self.who or self.account_ids)


_CATEGORY_NAMES = frozenset(category.value for category in Category)


def _is_counter_name(name: str) -> bool:
    return name == TOTAL_COUNTER or set(name.split("_")) <= _CATEGORY_NAMES


@dataclass(frozen=True)
class Counts:
    """Sign-in counts by counter name (see `ledger.counter_names`)."""

    values: Mapping[str, int] = field(default_factory=dict)

    @property
    def signins(self) -> int:
        return self.values.get(TOTAL_COUNTER, 0)

    @property
    def recorded(self) -> int:
        """Everything listed: sign-ins and account changes (counted apart)."""
        return self.signins + self.values.get(Category.CHANGES.value, 0)

    @property
    def failed(self) -> int:
        return self.values.get(Category.FAILED.value, 0)

    @property
    def root(self) -> int:
        return self.values.get(Category.ROOT.value, 0)

    @property
    def nomfa(self) -> int:
        return self.values.get(Category.NOMFA.value, 0)

    def of(self, categories: frozenset[Category]) -> int:
        """Sign-ins in every one of `categories` (all sign-ins for none)."""
        if not categories:
            return self.signins
        if len(categories) == 1:
            return self.values.get(next(iter(categories)).value, 0)
        wanted = {category.value for category in categories}
        return sum(
            count
            for name, count in self.values.items()
            if "_" in name and wanted <= set(name.split("_"))
        )

    def __add__(self, other: Counts) -> Counts:
        total = dict(self.values)
        for name, count in other.values.items():
            total[name] = total.get(name, 0) + count
        return Counts(total)

    @classmethod
    def from_values(cls, values: Mapping[str, int]) -> Counts:
        return cls({name: count for name, count in values.items() if _is_counter_name(name)})

    @classmethod
    def tally(cls, category_sets: Iterable[frozenset[Category]]) -> Counts:
        values: dict[str, int] = {}
        for categories in category_sets:
            for name in counter_names(categories):
                values[name] = values.get(name, 0) + 1
        return cls(values)


@dataclass(frozen=True)
class Entry:
    """One listed sign-in, as the index projects it. Every text is event-derived."""

    event_id: str
    event_time: datetime
    account_id: str
    region: str
    principal_type: str
    display_name: str
    arn: str
    role_name: str
    source_ip: str
    outcome: str
    failure_reason: str
    mfa: str
    federation: str
    name_status: NameStatus = NameStatus.RECORDED
    # False when the record had no time: `event_time` is then when it was received.
    time_recorded: bool = True
    change: str = ""  # an account change's words (listed by `changes`)

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Entry:
        def text(name: str) -> str:
            value = item.get(name, {}).get("S", "")
            return value if isinstance(value, str) else ""

        # No `epoch`: the record had no time, and `at` holds when it was received.
        time_recorded = EPOCH_ATTRIBUTE in item
        try:
            epoch = int(item[EPOCH_ATTRIBUTE]["N"])
        except (KeyError, TypeError, ValueError):
            at = text("at").split("#", 1)[0]
            epoch = int(at) if at.isdigit() else 0
        return cls(
            event_id=text("event_id"),
            event_time=datetime.fromtimestamp(epoch, UTC),
            account_id=text("account_id") or "unknown",
            region=text("region") or "unknown",
            principal_type=text("principal_type") or "unknown",
            display_name=text("display_name") or "unknown user",
            arn=text("arn"),
            role_name=text("role_name"),
            source_ip=text("source_ip") or "unknown",
            outcome=text("outcome") or "unknown",
            failure_reason=text("failure_reason"),
            mfa=text("mfa") or "unknown",
            federation=text("federation") or "none",
            name_status=stored_name_status(text(NAME_STATUS_ATTRIBUTE), text("display_name")),
            time_recorded=time_recorded,
            change=text("change"),
        )


@dataclass(frozen=True)
class History:
    entries: tuple[Entry, ...]
    window: Counts  # every sign-in in the window, whatever the filters
    # How many sign-ins match the query in the window, when the counters tell exactly
    # (no WHO or account filter); None otherwise.
    matched: int | None
    retained: int = 0  # sign-ins in the whole retention period: 0 means an empty ledger
    since: datetime | None = None  # where the window starts
    calls: int = field(default=0, compare=False)
