"""What storm control does to a verdict: a failure held back or told by its burst, the
burst's own alert, and a success right after a burst of its principal's failures."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from chalicelib.judge.escalation import escalate
from chalicelib.judge.rules import Skip, Verdict
from chalicelib.settings import Settings
from chalicelib.severity import Severity
from chalicelib.signin.parse import SignIn
from chalicelib.store.attributes import epoch_of
from chalicelib.store.schema import burst_key
from chalicelib.storms.bursts import burst_of, subject_of
from chalicelib.storms.decision import Dimension, StormAction, principal_subject, subject_words
from chalicelib.storms.plan import StormPlan
from chalicelib.storms.titles import burst_title

HELD = {StormAction.HOLD_BACK: Skip.HELD_BACK, StormAction.PART_OF_BURST: Skip.PART_OF_BURST}


def storm_verdict(verdict: Verdict, storm: StormPlan, settings: Settings) -> Verdict:
    """The verdict as storm control leaves it: held back, part of a burst, the burst's
    own alert, or as it was (with the storm's reason)."""
    decision = storm.decision
    told_by = decision.burst.subject if decision.burst else None
    told_by = told_by or (decision.count.subject if decision.count else None)
    if (
        decision.action in HELD
        and verdict.severity is Severity.CRITICAL
        and told_by is not None
        and told_by.dimension in (Dimension.SPRAY, Dimension.IP, Dimension.CHANGES)
    ):  # a critical principal tried in a spray from one IP: its own alert, at once
        return replace(verdict, reasons=(*verdict.reasons, decision.reason))
    if decision.action in HELD:
        return replace(
            verdict, alert=False, skip=HELD[decision.action], skip_reason=decision.reason
        )
    if decision.action is StormAction.OPEN_BURST:
        assert decision.count is not None
        # HIGH; CRITICAL when the failure that opens it is a critical principal's.
        severity = storm.opened.severity if storm.opened else Severity.HIGH
        return escalate(
            Verdict(severity, "", (), alert=True),
            severity,
            burst_title(decision.count, failures=storm.failures),
            (f"possible {subject_words(decision.count.subject)}",),
            settings,
        )
    if decision.reason:
        return replace(verdict, reasons=(*verdict.reasons, decision.reason))
    return verdict


def after_burst(signin: SignIn, verdict: Verdict, lookup: Any, settings: Settings) -> Verdict:
    """A success for a principal whose failures opened a burst is CRITICAL."""
    subject = principal_subject(signin)
    item = lookup(burst_key(subject.id))
    if item is None or subject_of(item) is None:
        return verdict
    burst = burst_of(subject, item)
    if not burst.covers(epoch_of(signin.event_time)):
        return verdict
    return escalate(
        verdict,
        Severity.CRITICAL,
        "Console sign-in succeeded right after a burst of failures",
        (f"success after burst: possible {subject_words(burst.subject)}",),
        settings,
    )
