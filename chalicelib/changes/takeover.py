"""The takeover correlation: a console sign-in by a user whose console password was
given or reset by someone else, or whose MFA device was removed, within
`TAKEOVER_WINDOW_HOURS` before it, is at least HIGH and its alert says what changed,
when and by whom.

Records arrive in any order. Both sides keep their marks on the principal's takeover
item (store/takeover.py), read in their one gather and written in their one commit:

- the change first, then the sign-in: the sign-in's alert says it (it is the news);
- the sign-in's record first, then the change's (it happened after the change but
  CloudTrail delivered it sooner): the change's own alert says the sign-in followed
  it, and is at least HIGH. The sign-in's alert, already posted, is left as it is;
- both at once: the item's version makes one commit lose, and the loser decides again
  with the other's mark in view, so one of the two alerts always tells it.

Windows are measured on the records' event times, never on arrival: a late record
(Lambda's retry, a redrive) is judged as it happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chalicelib.judge.escalation import escalate
from chalicelib.judge.rules import Verdict
from chalicelib.judge.rules.base import CONSOLE_LOGIN
from chalicelib.judge.rules.change_words import change_title, succeeded, target_words
from chalicelib.settings import Settings
from chalicelib.severity import Severity
from chalicelib.signin.parse import NameStatus, PrincipalType, Result, SignIn
from chalicelib.signin.words import signin_principal
from chalicelib.store.attributes import Write, epoch_of
from chalicelib.store.schema import takeover_key
from chalicelib.store.takeover import (
    MAX_MARKS,
    SigninMark,
    StepMark,
    TakeoverState,
    state_of,
    takeover_put,
)

# Principals whose console sign-in uses a password and MFA an account change can touch.
PASSWORD_PRINCIPALS = frozenset({PrincipalType.IAM_USER, PrincipalType.ROOT})
TITLE_PREFIX = "Possible takeover: "


def takeover_subject(signin: SignIn) -> str | None:
    """The principal key whose takeover item this record reads and writes, if any."""
    change = signin.change
    if change is not None:
        return change.target_key if change.is_takeover_step and succeeded(signin) else None
    if (
        signin.event_name == CONSOLE_LOGIN
        and signin.outcome is Result.SUCCESS
        and signin.principal_type in PASSWORD_PRINCIPALS
        and signin.name_status is NameStatus.RECORDED
    ):
        return signin.principal_key
    return None


def when(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")


def span(seconds: int) -> str:
    minutes = max(0, seconds) // 60
    if minutes < 120:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


@dataclass(frozen=True)
class Takeover:
    lines: tuple[str, ...]  # what the alert says; empty when nothing matched
    state: TakeoverState  # the item to write, the version moved on


def _kept(marks: list[Any]) -> tuple[Any, ...]:
    """One mark per event, the newest MAX_MARKS by event time, oldest first. Nothing is
    dropped for its age: a record redriven days late still finds the marks of its own
    window (the item's TTL ends it all two windows and a day after its newest mark)."""
    unique = {mark.event_id: mark for mark in marks}
    return tuple(sorted(unique.values(), key=lambda mark: (mark.at, mark.event_id))[-MAX_MARKS:])


def correlate(signin: SignIn, stored: TakeoverState, window_seconds: int) -> Takeover:
    """Pure: what this record finds on the item, and the item after it."""
    at = epoch_of(signin.event_time)
    steps, signins = list(stored.steps), list(stored.signins)
    change = signin.change
    if change is not None:
        after = [
            mark
            for mark in signins
            if at <= mark.at <= at + window_seconds and mark.event_id != signin.event_id
        ]
        who = target_words(change)
        lines = tuple(
            f"{who} signed in to the console at {when(mark.at)} from {mark.source_ip}, "
            f"{span(mark.at - at)} after this change: possible takeover"
            for mark in after
        )
        steps.append(StepMark(signin.event_id, at, change_title(signin), signin_principal(signin)))
    else:
        before = [
            mark
            for mark in steps
            if mark.at <= at <= mark.at + window_seconds and mark.event_id != signin.event_id
        ]
        lines = tuple(
            f"{mark.what} by {mark.by} at {when(mark.at)}, {span(at - mark.at)} before this "
            "sign-in: possible takeover"
            for mark in before
        )
        signins.append(SigninMark(signin.event_id, at, signin.source_ip))
    state = TakeoverState(stored.version + 1, _kept(steps), _kept(signins))
    return Takeover(lines, state)


class TakeoverCheck:
    """The correlation's part of the pipeline's gather (a key), decision (the verdict)
    and commit (the item, conditional on the version read)."""

    def __init__(self, settings: Settings, table: str) -> None:
        self._settings = settings
        self._table = table
        self._window = settings.takeover_window_hours * 3600

    def keys(self, signin: SignIn) -> list[dict[str, Any]]:
        subject = takeover_subject(signin)
        return [takeover_key(subject)] if subject else []

    def apply(
        self, signin: SignIn, verdict: Verdict, lookup: Any, *, now: float
    ) -> tuple[Verdict, list[Write]]:
        subject = takeover_subject(signin)
        if subject is None:
            return verdict, []
        key = takeover_key(subject)
        stored = state_of(lookup(key))
        found = correlate(signin, stored, self._window)
        write = takeover_put(
            self._table,
            key,
            found.state,
            seen=stored.version,
            keep_seconds=2 * self._window,
            now=now,
        )
        if found.lines:
            title = verdict.title
            if not title.startswith(TITLE_PREFIX):
                title = TITLE_PREFIX + title
            verdict = escalate(verdict, Severity.HIGH, title, found.lines, self._settings)
        return verdict, [write]
