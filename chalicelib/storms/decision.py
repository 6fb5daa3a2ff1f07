"""Storm control: count failed sign-ins in sliding windows and decide, per failure,
whether it alerts by itself, is held back, opens a burst alert, or belongs to one.

Each window is cut into `SLICES` slices (storms/bursts.py). The pipeline reads them
with everything else in its one read, adds this failure in memory, and `decide` is a
pure function of those counts and the open bursts. Which instance posts the burst alert
is decided by the commit's conditional put of the burst item, so exactly one does.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from chalicelib.judge.rules import is_alerting_event
from chalicelib.settings import Settings
from chalicelib.severity import Severity
from chalicelib.signin.parse import NameStatus, Result, SignIn
from chalicelib.signin.words import signin_principal

SLICES = 15  # a window is read as this many slices: "N in W" to within W/15
IP_ATTRIBUTE_PREFIX = "ip_"


class Dimension(StrEnum):
    ROOT = "root"
    PRINCIPAL = "principal"
    SPRAY = "spray"  # distinct user names failing from one source IP
    IP = "ip"
    CHANGES = "changes"  # account changes one principal makes to others (issue 23)


# When one failure belongs to several bursts, the most specific story is told.
PRIORITY = (Dimension.ROOT, Dimension.PRINCIPAL, Dimension.SPRAY, Dimension.IP, Dimension.CHANGES)
# Bursts whose subject is one principal: their messages count its source IPs.
PER_IP = frozenset({Dimension.ROOT, Dimension.PRINCIPAL, Dimension.CHANGES})
# What a burst counts, in the words of its title and summaries.
UNITS = {Dimension.SPRAY: "user names", Dimension.CHANGES: "account changes"}


@dataclass(frozen=True)
class Threshold:
    limit: int
    window_seconds: int

    @property
    def slice_seconds(self) -> int:
        return max(1, self.window_seconds // SLICES)


def thresholds(settings: Settings) -> dict[Dimension, Threshold]:
    return {
        Dimension.ROOT: Threshold(
            settings.burst_root_failures, settings.burst_root_window_minutes * 60
        ),
        Dimension.PRINCIPAL: Threshold(settings.burst_failures, settings.burst_window_minutes * 60),
        Dimension.IP: Threshold(settings.burst_failures, settings.burst_window_minutes * 60),
        Dimension.SPRAY: Threshold(settings.spray_user_names, settings.spray_window_minutes * 60),
        Dimension.CHANGES: Threshold(settings.burst_failures, settings.burst_window_minutes * 60),
    }


def unit_words(dimension: Dimension) -> str:
    return UNITS.get(dimension, "failed sign-ins")


@dataclass(frozen=True)
class Subject:
    dimension: Dimension
    account_id: str
    key: str  # the principal key or the source IP
    label: str  # what a message calls it: "root", "alice", "203.0.113.5"

    @property
    def id(self) -> str:
        return f"{self.dimension.value}#{self.account_id}#{self.key}"


def is_counted_failure(signin: SignIn) -> bool:
    return signin.outcome is Result.FAILURE and is_alerting_event(signin)


def is_counted_change(signin: SignIn) -> bool:
    """An account change made to someone else (or by root): a storm of them (a script
    giving 500 users a password) is told in a few messages. Someone's own password or
    MFA, or a federation token of their own keys, is not counted."""
    change = signin.change
    return change is not None and (not change.by_self or signin.is_root)


def is_counted(signin: SignIn) -> bool:
    """What storm control counts: failed sign-ins and account changes."""
    return is_counted_failure(signin) or is_counted_change(signin)


def valid_ip(raw: str) -> str | None:
    try:
        return str(ipaddress.ip_address(raw.strip()))
    except ValueError:
        return None  # "AWS Internal", service names, "unknown"


def principal_subject(signin: SignIn) -> Subject:
    dimension = Dimension.ROOT if signin.is_root else Dimension.PRINCIPAL
    # The label names the kind ("IAM user root", "root user"), as every message does.
    label = signin_principal(signin)
    return Subject(dimension, signin.account_id, signin.principal_key, label)


def subjects_of(signin: SignIn) -> list[Subject]:
    """What a failed sign-in (or an account change) counts towards."""
    if signin.change is not None:  # its maker's changes, apart from its sign-ins
        label = signin_principal(signin)
        return [Subject(Dimension.CHANGES, signin.account_id, signin.principal_key, label)]
    subjects = [principal_subject(signin)]
    ip = valid_ip(signin.source_ip)
    if ip:
        subjects.append(Subject(Dimension.IP, signin.account_id, ip, ip))
        subjects.append(Subject(Dimension.SPRAY, signin.account_id, ip, ip))
    return subjects


def spray_name(signin: SignIn) -> str | None:
    """The user name a failure adds to its IP's distinct names; None for a name AWS hid:
    each is a name that is not a user of the account, a distinct guess of its own."""
    if signin.name_status is NameStatus.HIDDEN:
        return None
    return signin.display_name


@dataclass(frozen=True)
class WindowCount:
    subject: Subject
    count: int  # failures; for SPRAY, distinct user names
    first_epoch: int
    last_epoch: int
    ips: tuple[tuple[str, int], ...] = ()  # per source IP, most first (ROOT/PRINCIPAL)
    # SPRAY: the real users tried (names the records gave), and those of them that are
    # watched or critical principals.
    names: tuple[str, ...] = ()
    watched: tuple[str, ...] = ()

    @property
    def distinct_ips(self) -> int:
        return len(self.ips)


@dataclass(frozen=True)
class Opener:
    """The failure that opened a burst: what its messages name, also for the
    scheduled sweep that has no sign-in at hand."""

    principal: str
    mfa: str
    source_ip: str

    @classmethod
    def of(cls, signin: SignIn) -> Opener:
        return cls(principal_subject(signin).label, signin.mfa.value, signin.source_ip)


@dataclass(frozen=True)
class Burst:
    subject: Subject
    until_epoch: int
    opener_event_id: str
    first_epoch: int
    summarised_count: int
    last_summary_at: float  # wall clock of the last message about this burst
    message_ts: str = ""
    message_channel: str = ""
    opener: Opener = Opener("", "unknown", "")
    last_arrival: float = 0.0  # wall clock when its last failure reached the handler
    summarised_failures: int = 0  # SPRAY: the IP's failures the last message told
    # HIGH; CRITICAL when a critical principal's failure opened it (its every message).
    severity: Severity = Severity.HIGH
    opened_epoch: int = 0  # its opener's event time (0: opened before it was kept)

    def covers(self, epoch: int) -> bool:
        return epoch < self.until_epoch


class StormAction(StrEnum):
    ALERT = "alert"  # alerts by itself, as before
    HOLD_BACK = "hold_back"  # over the individual-alert cap, under the burst threshold
    OPEN_BURST = "open_burst"  # this failure crossed a threshold: it posts the burst alert
    PART_OF_BURST = "part_of_burst"  # a burst alert already tells this story


@dataclass(frozen=True)
class Decision:
    action: StormAction
    reason: str = ""
    count: WindowCount | None = None  # the count behind the decision
    burst: Burst | None = None


def _priority(dimension: Dimension) -> int:
    return PRIORITY.index(dimension)


def subject_words(subject: Subject) -> str:
    if subject.dimension is Dimension.SPRAY:
        return f"password spraying from {subject.label}"
    if subject.dimension is Dimension.IP:
        return f"brute force from {subject.label}"
    if subject.dimension is Dimension.CHANGES:
        return f"account-change storm by {subject.label}"
    return f"brute force on {subject.label}"


def decide(
    epoch: int,
    counts: Sequence[WindowCount],
    bursts: Mapping[str, Burst],
    limits: Mapping[Dimension, Threshold],
    cap: int,
) -> Decision:
    """What to do with one failed sign-in, given its window counts (which include it)
    and the burst items of its subjects."""
    ordered = sorted(counts, key=lambda count: _priority(count.subject.dimension))
    open_bursts = [
        bursts[count.subject.id]
        for count in ordered
        if count.subject.id in bursts and bursts[count.subject.id].covers(epoch)
    ]
    if open_bursts:
        burst = open_bursts[0]
        return Decision(
            StormAction.PART_OF_BURST,
            f"part of burst: possible {subject_words(burst.subject)}",
            burst=burst,
        )
    crossing = [count for count in ordered if count.count >= limits[count.subject.dimension].limit]
    if crossing:
        return Decision(StormAction.OPEN_BURST, subject_words(crossing[0].subject), crossing[0])
    capped = [
        count
        for count in ordered
        if count.subject.dimension is not Dimension.SPRAY and count.count >= cap
    ]
    if capped:
        count = capped[0]
        limit = limits[count.subject.dimension]
        minutes = limit.window_seconds // 60
        what = f"{count.count} {unit_words(count.subject.dimension)} {_for(count.subject)}"
        what += f" in {minutes} min"
        if count.count > cap:
            return Decision(
                StormAction.HOLD_BACK,
                f"held back: {what}; a burst alert follows at {limit.limit}",
                count,
            )
        return Decision(
            StormAction.ALERT,
            f"{what}: further failures are held back until {limit.limit} (burst alert)",
            count,
        )
    return Decision(StormAction.ALERT)


def _for(subject: Subject) -> str:
    if subject.dimension is Dimension.IP:
        return f"from {subject.label}"
    if subject.dimension is Dimension.CHANGES:
        return f"by {subject.label}"
    return f"for {subject.label}"
