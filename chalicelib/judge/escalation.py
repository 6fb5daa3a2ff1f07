"""Raising a verdict after the single-event rules: new places, bursts."""

from __future__ import annotations

from dataclasses import replace

from chalicelib.judge.places import Places
from chalicelib.judge.rules import Skip, Verdict, below_min_severity
from chalicelib.settings import Settings
from chalicelib.severity import Severity


def escalate(
    verdict: Verdict,
    severity: Severity,
    title: str,
    reasons: tuple[str, ...],
    settings: Settings,
) -> Verdict:
    """A more serious verdict; an alert held back only for its severity may now go."""
    severity = max(severity, verdict.severity)
    skip, skip_reason = verdict.skip, verdict.skip_reason
    if skip is Skip.BELOW_MIN_SEVERITY:
        skip, skip_reason = None, ""
    if skip is None and severity < settings.alert_min_severity:
        skip, skip_reason = Skip.BELOW_MIN_SEVERITY, below_min_severity(severity, settings)
    return replace(
        verdict,
        severity=severity,
        title=title,
        reasons=tuple(dict.fromkeys((*verdict.reasons, *reasons))),
        alert=skip is None,
        skip_reason=skip_reason,
        skip=skip,
    )


def apply_places(verdict: Verdict, places: Places, settings: Settings) -> Verdict:
    """New IP or country: one level up, at least MEDIUM. Impossible travel: HIGH."""
    if not places.reasons:
        return verdict
    severity = verdict.severity
    words = []
    if places.new_ip or places.new_country:
        severity = max(Severity.MEDIUM, severity.raised())
        words += ["new IP"] if places.new_ip else []
        words += ["new country"] if places.new_country else []
    if places.travel_from:
        severity = max(severity, Severity.HIGH)
        words.append("impossible travel")
    title = f"{verdict.title} ({', '.join(words)})"
    escalated = escalate(verdict, severity, title, places.reasons, settings)
    return replace(escalated, new_place=True)


def known_place_failure(verdict: Verdict, settings: Settings) -> Verdict:
    """A failed password from an IP the principal has signed in from before is a typo
    more often than an attack, as from TRUSTED_CIDRS: LOW, so routine at the default
    ALERT_MIN_SEVERITY. Storm control still counts it: twenty make a burst. Root,
    watched and critical principals keep their severity (HIGH or more)."""
    if verdict.severity is not Severity.MEDIUM:
        return verdict
    skip, skip_reason = verdict.skip, verdict.skip_reason
    if skip is None and settings.alert_min_severity > Severity.LOW:
        skip, skip_reason = Skip.BELOW_MIN_SEVERITY, below_min_severity(Severity.LOW, settings)
    return replace(
        verdict,
        severity=Severity.LOW,
        reasons=(*verdict.reasons, "from an IP it signed in from before"),
        alert=skip is None,
        skip=skip,
        skip_reason=skip_reason,
    )
