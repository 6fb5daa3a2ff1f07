"""Which sign-ins are routine: listed sign-ins held back only because they are below
ALERT_MIN_SEVERITY. Ignored principals stay out (the operator chose silence), and so do
failures a burst tells and steps inside a sign-in (CheckMfa), which are not listed."""

from __future__ import annotations

from chalicelib.judge.rules import Skip, Verdict
from chalicelib.routine.entries import entry_writes
from chalicelib.routine.periods import Period, period_for
from chalicelib.settings import Settings
from chalicelib.signin.parse import SignIn
from chalicelib.store.attributes import Write
from chalicelib.store.listing import is_listed


def routine_period(
    signin: SignIn, verdict: Verdict, settings: Settings, *, arrival: float, web_api: bool
) -> Period | None:
    """The roll-up that names this sign-in, or None when it is not routine."""
    if verdict.alert or verdict.skip is not Skip.BELOW_MIN_SEVERITY or not is_listed(signin):
        return None
    channel = settings.slack_channel_by_severity.get(verdict.severity, "") if web_api else ""
    return period_for(arrival, settings, web_api=web_api, channel=channel)


def routine_plan(
    table: str, signin: SignIn, verdict: Verdict, settings: Settings, *, now: float, web_api: bool
) -> tuple[Period | None, list[Write]]:
    """The roll-up that names the sign-in (None when it is not routine) and the writes
    that put it there, for the sign-in's commit; `now` is its arrival."""
    period = routine_period(signin, verdict, settings, arrival=now, web_api=web_api)
    if period is None:
        return None, []
    days = settings.ledger_retention_days
    writes = entry_writes(table, signin, verdict.severity, period, retention_days=days, now=now)
    return period, writes
