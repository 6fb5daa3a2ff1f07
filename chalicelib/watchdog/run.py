"""One watchdog run: every check, then a message for each change, exactly once.

A check that cannot run (an API error, a missing permission) is itself a problem:
silence must never look like health. When the Slack check fails nothing can be
posted, so the run records it and raises: the watchdog's Errors alarm reaches the
operator by e-mail instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib import logs
from chalicelib.clock import Clock
from chalicelib.watchdog.findings import Check, Finding, Status
from chalicelib.watchdog.messages import watchdog_message
from chalicelib.watchdog.pipeline import error_code
from chalicelib.watchdog.state import (
    WatchdogChange,
    WatchdogRecord,
    WatchdogState,
    decide,
    next_state,
)


class WatchdogFailed(RuntimeError):
    """Slack is unusable, or a message could not be posted: raised after recording."""


@dataclass(frozen=True)
class CheckSpec:
    check: Check
    region: str
    run: Callable[[], Finding]
    subject: str = ""
    # The check's subjects come from a listing that was read whole (the organization's
    # accounts): a problem stored under this check whose subject is no longer found
    # (an account left, an instance was fixed by being removed) is resolved.
    sweeps: bool = False


@dataclass
class WatchdogReport:
    findings: list[Finding] = field(default_factory=list)
    posted: list[str] = field(default_factory=list)  # "<action> <key>"
    failures: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "problems": sorted(f.key for f in self.findings if f.status is Status.PROBLEM),
            "hints": sorted(f.key for f in self.findings if f.status is Status.HINT),
            "posted": self.posted,
            "failures": self.failures,
        }


def run_check(spec: CheckSpec) -> Finding:
    try:
        return spec.run()
    except Exception as error:  # AccessDenied, throttling, a bug: say so, never pass
        return Finding(
            spec.check,
            spec.region,
            Status.PROBLEM,
            f"the {spec.check.value} check could not run in {spec.region}: {error_code(error)}",
            "look at the watchdog function's log; `python manage.py policies --check`",
            subject=spec.subject,
        )


def untold(
    stored: WatchdogRecord | None, new: WatchdogRecord, action: WatchdogChange
) -> WatchdogRecord:
    """The state after a message about `action` could not be posted: a "resolved" is
    said again next run; a problem counts as never posted, so the next run posts it."""
    version = new.version + 1
    if action is WatchdogChange.RESOLVED and stored is not None:
        return replace(stored, version=version)
    return replace(new, posted_at=stored.posted_at if stored else 0.0, version=version)


def swept(
    checks: Sequence[CheckSpec], findings: list[Finding], stored: Mapping[str, WatchdogRecord]
) -> list[Finding]:
    """OK findings for the stored problems of a swept check that this run no longer
    found, so that they resolve like any other."""
    regions = {spec.check.value: spec.region for spec in checks if spec.sweeps}
    found = {finding.key for finding in findings}
    resolved = []
    for key, record in sorted(stored.items()):
        check_name, _, subject = key.partition("#")
        if record.status is not Status.PROBLEM or key in found or not subject:
            continue
        if check_name in regions:
            # `<account>/<region>` names its region; any other subject is the check's.
            region = subject.rpartition("/")[2] if "/" in subject else regions[check_name]
            resolved.append(Finding.ok(Check(check_name), region, subject))
    return resolved


class Watchdog:
    def __init__(
        self,
        *,
        stage: str,
        state: WatchdogState,
        post: Callable[[dict[str, Any]], None],
        clock: Clock,
        remind_after: timedelta,
    ) -> None:
        self._stage = stage
        self._state = state
        self._post = post  # raises when Slack does not take the message
        self._clock = clock
        self._remind = remind_after

    def run(self, checks: Sequence[CheckSpec]) -> WatchdogReport:
        report = WatchdogReport([run_check(spec) for spec in checks])
        now = self._clock()
        stored = self._state.load(self._stage)
        report.findings += swept(checks, report.findings, stored)
        for finding in report.findings:
            self._handle(finding, stored.get(finding.key), now, report)
        self._log(report)
        # Slack unusable: the warning may not have reached anyone, so fail the run and
        # let the Errors alarm tell the operator by e-mail, every hour until it is fixed.
        slack = [f.what for f in report.findings if f.check is Check.SLACK and f.what]
        if slack or report.failures:
            raise WatchdogFailed("; ".join(slack + report.failures))
        return report

    def _handle(
        self, finding: Finding, stored: WatchdogRecord | None, now: datetime, report: WatchdogReport
    ) -> None:
        action = decide(stored, finding, now, self._remind)
        if action is WatchdogChange.NONE:
            return
        new = next_state(stored, finding, action, now)
        if not self._state.save(self._stage, new, stored):
            return  # another run got there first and says it
        try:
            self._post(watchdog_message(action, finding, stored, self._stage, now))
        except Exception as error:
            # Recorded, but nobody was told: leave it for the next run to say.
            self._state.save(self._stage, untold(stored, new, action), new)
            report.failures.append(f"{action.value} {finding.key}: {error}")
            return
        report.posted.append(f"{action.value} {finding.key}")

    def _log(self, report: WatchdogReport) -> None:
        problems = [f for f in report.findings if f.status is Status.PROBLEM]
        logs.emit(
            {"message": "watchdog", "stage": self._stage, **report.to_dict()},
            metrics={"WatchdogRuns": 1, "WatchdogProblems": len(problems)},
            at_ms=int(self._clock().timestamp() * 1000),
        )
