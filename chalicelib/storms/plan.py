"""Storm control's part of a failed sign-in's plan, pure: from the window counts and
bursts the gather read, add this failure in memory, decide (storms/decision.py), and say
what the commit writes: the slice adds, the spraying marker, the burst it opens or adds
to, and the claim on a summary that is due.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from chalicelib.judge.rules import matches_any
from chalicelib.settings import Settings
from chalicelib.severity import Severity
from chalicelib.signin.parse import SignIn
from chalicelib.store.attributes import Write, epoch_of
from chalicelib.store.schema import burst_key
from chalicelib.storms.bursts import (
    add_to_burst,
    burst_of,
    open_writes,
    running_count,
    subject_of,
)
from chalicelib.storms.decision import (
    PER_IP,
    Burst,
    Decision,
    Dimension,
    Opener,
    StormAction,
    Subject,
    WindowCount,
    decide,
    spray_name,
    subjects_of,
    valid_ip,
)
from chalicelib.storms.windows import (
    Lookup,
    Tried,
    Windows,
    mark_name,
    name_is_new,
    spray_marker,
)


@dataclass(frozen=True)
class SummaryDue:
    """A burst summary this sign-in's commit claims; posted after the commit."""

    burst: Burst
    count: WindowCount  # the burst's running count, this failure included
    failures: int | None  # a spraying burst's failures from its IP
    threaded: bool  # Web API: reply in the alert's thread and update it in place


@dataclass(frozen=True)
class StormPlan:
    decision: Decision
    writes: tuple[Write, ...] = ()
    opened: Burst | None = None
    failures: int | None = None  # a spraying burst's failures from its IP, when it opens
    summary: SummaryDue | None = None


def storm_keys(signin: SignIn, windows: Windows) -> list[dict[str, Any]]:
    epoch = epoch_of(signin.event_time)
    keys: list[dict[str, Any]] = []
    for subject in subjects_of(signin):
        keys += [*windows.keys(subject, epoch), burst_key(subject.id)]
        name = spray_name(signin)
        if subject.dimension is Dimension.SPRAY and name is not None:
            keys.append(spray_marker(subject, name))
    return keys


def _plus_one(
    count: WindowCount, epoch: int, ip: str | None, adds: bool, tried: Tried | None = None
) -> WindowCount:
    if not adds:
        return count
    ips = dict(count.ips)
    if ip and count.subject.dimension in PER_IP:
        ips[ip] = ips.get(ip, 0) + 1
    names, watched = set(count.names), set(count.watched)
    if tried is not None and count.subject.dimension is Dimension.SPRAY:
        names.add(tried.name)
        if tried.watched:
            watched.add(tried.name)
    return replace(
        count,
        count=count.count + 1,
        first_epoch=min(count.first_epoch, epoch) if count.count else epoch,
        last_epoch=max(count.last_epoch, epoch),
        ips=tuple(sorted(ips.items(), key=lambda pair: (-pair[1], pair[0]))),
        names=tuple(sorted(names)),
        watched=tuple(sorted(watched)),
    )


def tried_of(signin: SignIn, settings: Settings) -> Tried | None:
    """The real user a failure tried, for a spraying count: none for a hidden name."""
    name = spray_name(signin)
    if name is None:
        return None
    watch = settings.watch_principals + settings.critical_principals
    return Tried(name, watched=bool(matches_any(signin, watch)))


def plan_storm(
    signin: SignIn,
    lookup: Lookup,
    windows: Windows,
    settings: Settings,
    *,
    table: str,
    wall_now: float,
    can_update: bool,
    severity: Severity = Severity.HIGH,
) -> StormPlan:
    """`severity`: the failure's own verdict; a burst it opens is at least HIGH, and as
    serious as a critical principal's failure."""
    epoch = epoch_of(signin.event_time)
    ip = valid_ip(signin.source_ip)
    subjects = subjects_of(signin)
    new_name = True
    marker_key: dict[str, Any] | None = None
    tried = tried_of(signin, settings)
    counts: dict[str, WindowCount] = {}
    bursts: dict[str, Burst] = {}
    burst_items: dict[str, Any] = {}
    for subject in subjects:
        adds = True
        if subject.dimension is Dimension.SPRAY and tried is not None:
            marker_key = spray_marker(subject, tried.name)
            new_name = adds = name_is_new(lookup(marker_key), epoch)
        count = windows.count(subject, epoch, lookup)
        counts[subject.id] = _plus_one(count, epoch, ip, adds, tried)
        item = lookup(burst_key(subject.id))
        if item is not None and subject_of(item) is not None:
            bursts[subject.id], burst_items[subject.id] = burst_of(subject, item), item
    decision = decide(
        epoch,
        list(counts.values()),
        bursts,
        windows.limits,
        settings.failure_alerts_before_burst,
    )
    # Outside a burst the decision rests on exact counts: the adds are conditional.
    exact = decision.action is not StormAction.PART_OF_BURST
    writes: list[Write] = []
    for subject in subjects:
        spray = subject.dimension is Dimension.SPRAY
        if spray:
            if not new_name:
                continue
            window = windows.limits[Dimension.SPRAY].window_seconds
            if tried is not None and marker_key is not None:  # a hidden name needs none
                seen = lookup(marker_key)
                writes.append(mark_name(table, subject, tried.name, epoch, window, seen))
        subject_ip = ip if subject.dimension in PER_IP else None
        writes.append(
            windows.add(
                table,
                subject,
                epoch,
                subject_ip,
                lookup,
                exact=exact,
                tried=tried if spray else None,
            )
        )

    if decision.action is StormAction.OPEN_BURST:
        assert decision.count is not None
        count = decision.count
        failures = _spray_failures(count, counts)
        burst = Burst(
            subject=count.subject,
            until_epoch=epoch + windows.limits[count.subject.dimension].window_seconds,
            opener_event_id=signin.event_id,
            first_epoch=count.first_epoch,
            summarised_count=count.count,
            last_summary_at=wall_now,
            opener=Opener.of(signin),
            severity=max(Severity.HIGH, severity),
        )
        writes += open_writes(table, burst, count, epoch=epoch, failures=failures or count.count)
        return StormPlan(replace(decision, burst=burst), tuple(writes), burst, failures)

    summary = None
    if decision.action is StormAction.PART_OF_BURST:
        for subject_id, burst in bursts.items():
            if not burst.covers(epoch):
                continue
            adds = new_name or burst.subject.dimension is not Dimension.SPRAY
            due = None
            if decision.burst is not None and subject_id == decision.burst.subject.id:
                due = _summary_due(
                    burst,
                    burst_items[subject_id],
                    epoch,
                    adds,
                    settings,
                    wall_now,
                    can_update,
                    ip,
                    tried,
                )
                summary = due
            writes.append(
                add_to_burst(
                    table,
                    burst,
                    burst_items[subject_id],
                    epoch=epoch,
                    ip=ip,
                    counts=adds,
                    arrived_at=wall_now,
                    tried=tried if burst.subject.dimension is Dimension.SPRAY else None,
                    claim_summary_at=wall_now if due else None,
                )
            )
    return StormPlan(decision, tuple(writes), summary=summary)


def _spray_failures(count: WindowCount, counts: dict[str, WindowCount]) -> int | None:
    """A spraying burst counts user names; its message also gives the IP's failures."""
    if count.subject.dimension is not Dimension.SPRAY:
        return None
    ip_subject = Subject(
        Dimension.IP, count.subject.account_id, count.subject.key, count.subject.key
    )
    ip_count = counts.get(ip_subject.id)
    return ip_count.count if ip_count else None


def _summary_due(
    burst: Burst,
    item: Any,
    epoch: int,
    adds: bool,
    settings: Settings,
    wall_now: float,
    can_update: bool,
    ip: str | None,
    tried: Tried | None,
) -> SummaryDue | None:
    """The burst's next summary, when one is due: more failures than the last message
    told, and its interval passed. Burst alerts are HIGH: none below that minimum."""
    if settings.alert_min_severity > Severity.HIGH:
        return None
    told = running_count(burst.subject, item, epoch)
    # "First" stays what the burst alert said: a late record does not move it.
    count = replace(_plus_one(told, epoch, ip, adds, tried), first_epoch=told.first_epoch)
    failures = None
    if burst.subject.dimension is Dimension.SPRAY:
        failures = int(item.get("failures", {}).get("N", "0")) + 1
    threaded = bool(burst.message_ts) and can_update
    interval = settings.burst_thread_seconds if threaded else settings.burst_summary_seconds
    # News: more failures than the last message told (a spray: names, or failures).
    news = count.count > burst.summarised_count or (
        failures is not None and failures > burst.summarised_failures
    )
    if not news or wall_now - burst.last_summary_at < interval:
        return None
    return SummaryDue(burst, count, failures, threaded)


def summary_every(settings: Settings, can_update: bool) -> str:
    """How a burst message says when the next news comes."""
    if can_update:
        return (
            f"this message is updated and the thread gets a summary at most every "
            f"{settings.burst_thread_seconds:g} s"
        )
    return f"a rolling summary follows at most every {settings.burst_summary_seconds:g} s"
