"""Decide: a pure function of the sign-in, the gathered snapshot, the settings and the
time, returning the plan: the final verdict, the storm action, what is new about the
place, the message, and every write of the commit.

Nothing here reads or writes anything; nothing branches on the text of a reason.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from chalicelib.alerting.storm_verdicts import after_burst, storm_verdict
from chalicelib.changes.takeover import TakeoverCheck
from chalicelib.judge.escalation import apply_places, known_place_failure
from chalicelib.judge.places import Places, judge_places
from chalicelib.judge.root_mfa import (
    PairDecision,
    Pairing,
    folded_reason,
    is_root_check_mfa,
    pair,
    takes_part,
    unfollowed,
    with_check,
)
from chalicelib.judge.rules import Skip, Verdict, evaluate, in_trusted_network, is_alerting_event
from chalicelib.routine.periods import Period
from chalicelib.routine.select import routine_plan
from chalicelib.settings import Settings
from chalicelib.signin.parse import Result, SignIn
from chalicelib.slack.alert_message import build_message, notification_text
from chalicelib.slack.channels import channel_for
from chalicelib.store.attributes import Write, epoch_of
from chalicelib.store.day_notable import notable_kind
from chalicelib.store.day_tally import day_writes
from chalicelib.store.directory import catalog_update, directory_update, placement_for
from chalicelib.store.ledger import event_item
from chalicelib.store.listing import in_directory
from chalicelib.store.places import PlaceCheck, failure_place, place_check
from chalicelib.store.root_mfa import due_delete, due_put, pair_put, state_of
from chalicelib.store.schema import burst_key, directory_key, event_key, root_mfa_key
from chalicelib.store.signin_record import Claim
from chalicelib.store.signin_writes import first_put
from chalicelib.storms.decision import (
    Burst,
    Decision,
    Opener,
    StormAction,
    is_counted,
    principal_subject,
    thresholds,
)
from chalicelib.storms.messages import burst_message
from chalicelib.storms.plan import (
    StormPlan,
    SummaryDue,
    plan_storm,
    storm_keys,
    summary_every,
)
from chalicelib.storms.titles import burst_title
from chalicelib.storms.windows import Windows

log = logging.getLogger(__name__)

# A root CheckMfa that does not alert now, and why (judge/root_mfa.py).
QUIET_CHECKS = {
    Pairing.WAIT: (Skip.AWAITING_SIGNIN, "root CheckMfa: waits for its ConsoleLogin"),
    Pairing.SUPERSEDED: (Skip.AWAITING_SIGNIN, "root CheckMfa: a later one waits in its place"),
    Pairing.FOLLOWED: (Skip.TOLD_BY_SIGNIN, "root CheckMfa: its ConsoleLogin told it"),
}


@dataclass(frozen=True)
class Plan:
    verdict: Verdict
    action: StormAction  # storm control's decision (ALERT for anything but a counted failure)
    places: Places
    message: Mapping[str, Any] | None  # what to post, when the verdict alerts
    channel: str | None  # Web API channel by severity, when configured
    opened: Burst | None  # the burst this sign-in opens (its alert is the message)
    summary: SummaryDue | None  # a burst summary this commit claims
    writes: tuple[Write, ...]  # the commit: the event item first
    claim: Claim | None  # this invocation's claim, when it alerts
    routine: Period | None = None  # the roll-up that names it, when it is routine


class Decider:
    def __init__(self, settings: Settings, table: str) -> None:
        self._settings = settings
        self._table = table
        self._windows = Windows(thresholds(settings))
        self._takeover = TakeoverCheck(settings, table)

    def _place_check(self, signin: SignIn) -> PlaceCheck | None:
        if not self._settings.new_place_alerts or not is_alerting_event(signin):
            return None
        return place_check(signin, trusted=in_trusted_network(signin, self._settings))

    def keys(self, signin: SignIn) -> list[dict[str, Any]]:
        """What the gather reads for this sign-in: its own item first."""
        keys = [event_key(signin.event_id)]
        if is_counted(signin):
            keys += storm_keys(signin, self._windows)
            check = failure_place(signin)  # a typo from a known place is LOW
            keys += [check.ip_key()] if check is not None else []
        elif is_alerting_event(signin) and signin.outcome is Result.SUCCESS:
            keys.append(burst_key(principal_subject(signin).id))
            check = self._place_check(signin)
            if check is not None:
                keys += check.keys()
        if in_directory(signin):
            # Where the sign-in falls in its principal's span decides the directory write.
            keys.append(directory_key(signin.principal_key))
        if takes_part(signin):
            keys.append(root_mfa_key(signin.principal_key, signin.source_ip))
        return keys + self._takeover.keys(signin)

    def _pair(self, signin: SignIn, lookup: Any, now: float) -> PairDecision:
        """Root's CheckMfa and ConsoleLogin of one sign-in: which tells it."""
        if not takes_part(signin):
            return PairDecision(Pairing.NONE)
        settings = self._settings
        message, channel = "", ""
        if is_root_check_mfa(signin):  # its own alert, built now: the sweep only posts
            told, verdict = unfollowed(signin, settings.root_mfa_wait_minutes)
            if verdict.severity >= settings.alert_min_severity:
                message = json.dumps(self._plain_message(told, verdict), ensure_ascii=False)
                channel = self._channel(told, verdict) or ""
        stored = lookup(root_mfa_key(signin.principal_key, signin.source_ip))
        return pair(
            signin,
            state_of(stored),
            wait_seconds=int(settings.root_mfa_wait_minutes * 60),
            now=now,
            message=message,
            channel=channel,
        )

    def _pair_writes(self, signin: SignIn, pairing: PairDecision, now: float) -> list[Write]:
        if pairing.state is None:
            return []
        key = root_mfa_key(signin.principal_key, signin.source_ip)
        seen = pairing.state.version - 1
        writes = [pair_put(self._table, key, pairing.state, seen=seen, now=now)]
        if pairing.dropped is not None:
            writes.append(due_delete(self._table, pairing.dropped))
        check = pairing.state.check
        if pairing.pairing is Pairing.WAIT and check is not None and check.message:
            writes.append(due_put(self._table, key, check))
        return writes

    def decide(
        self,
        signin: SignIn,
        snapshot: Any,
        *,
        now: float,
        claim: Claim,
        can_update: bool,
        note: Sequence[dict[str, Any]] = (),
        ask_user: str = "",
        contended: bool = False,
    ) -> Plan:
        """`note` and `ask_user`: the alert's "asked <@U...>" line and whom it names
        (a question planned for this verdict; see confirm/asking.py). `contended`: an
        earlier commit of this sign-in lost a race (`directory_update`'s rings)."""
        settings = self._settings
        lookup = snapshot.get
        pairing = self._pair(signin, lookup, now)
        if pairing.pairing is Pairing.FOLD and pairing.check is not None:
            signin = with_check(signin, pairing.check)  # one message tells both records
        verdict = evaluate(signin, settings)
        if pairing.pairing is Pairing.FOLD and pairing.check is not None:
            verdict = replace(verdict, reasons=(*verdict.reasons, folded_reason(pairing.check)))
        if pairing.pairing in QUIET_CHECKS:
            skip, why = QUIET_CHECKS[pairing.pairing]
            verdict = replace(verdict, alert=False, skip=skip, skip_reason=why)
        places = Places()
        writes: list[Write] = []
        storm = StormPlan(Decision(StormAction.ALERT))
        if is_counted(signin):
            check = failure_place(signin)
            if check is not None and lookup(check.ip_key()) is not None:
                verdict = known_place_failure(verdict, settings)
            storm = plan_storm(
                signin,
                lookup,
                self._windows,
                settings,
                table=self._table,
                wall_now=now,
                can_update=can_update,
                severity=verdict.severity,
            )
            verdict = storm_verdict(verdict, storm, settings)
        elif is_alerting_event(signin) and signin.outcome is Result.SUCCESS:
            check = self._place_check(signin)
            if check is not None:
                seen = check.seen(lookup)
                places = judge_places(
                    seen,
                    country=check.country,
                    epoch=epoch_of(signin.event_time),
                    travel_seconds=settings.impossible_travel_minutes * 60,
                )
                verdict = apply_places(verdict, places, settings)
                writes += check.writes(self._table, signin, seen)
            verdict = after_burst(signin, verdict, lookup, settings)

        # A password given or reset by someone else, or MFA removed, then a sign-in.
        verdict, takeover = self._takeover.apply(signin, verdict, lookup, now=now)
        message = None
        if verdict.alert:
            message = self._message(signin, verdict, storm, can_update, note)
        channel = self._channel(signin, verdict)
        held = claim if verdict.alert else None
        item = event_item(
            signin,
            verdict,
            recorded_at=now,
            retention_days=settings.ledger_retention_days,
            claim=held,
            message=message,
            channel=channel,
            ask_user=ask_user if message is not None else "",
        )
        burst_line = None
        if storm.opened is not None and storm.decision.count is not None:
            title = burst_title(storm.decision.count, failures=storm.failures)
            burst_line = (storm.opened.subject.id, title)
        writes = [
            first_put(self._table, item),
            *day_writes(
                self._table,
                signin,
                places,
                retention_days=settings.ledger_retention_days,
                burst_line=burst_line,
                notable=notable_kind(signin, verdict, settings),
            ),
            *writes,
            *storm.writes,
            *self._pair_writes(signin, pairing, now),
            *takeover,
        ]
        routine, routine_writes = routine_plan(
            self._table, signin, verdict, settings, now=now, web_api=can_update
        )
        writes += routine_writes
        if in_directory(signin):
            # Conditional on the placement read: a sign-in of the same principal
            # committed meanwhile makes this a lost race, decided again on a new read.
            known = lookup(directory_key(signin.principal_key))
            placement = placement_for(signin, known)
            writes.append(
                directory_update(signin, self._table, placement, known, rings=not contended)
            )
            if known is None:  # its first sign-in: the catalog learns of it
                writes.append(catalog_update(signin, self._table))
        return Plan(
            verdict,
            storm.decision.action,
            places,
            message,
            channel,
            storm.opened,
            storm.summary,
            tuple(writes),
            held,
            routine,
        )

    def _channel(self, signin: SignIn, verdict: Verdict) -> str | None:
        origin = signin.origin
        return channel_for(verdict.severity, signin.account_id, origin, self._settings).channel

    def _message(
        self,
        signin: SignIn,
        verdict: Verdict,
        storm: StormPlan,
        can_update: bool,
        note: Sequence[dict[str, Any]] = (),
    ) -> Mapping[str, Any]:
        settings = self._settings
        if storm.opened is not None and storm.decision.count is not None:
            origin = signin.origin
            if origin.origin.trusted and origin.name:  # Organizations' name, in the burst too
                settings = settings.with_account_names({signin.account_id: origin.name})
            return burst_message(
                storm.decision.count,
                Opener.of(signin),
                settings,
                failures=storm.failures,
                summary_every=summary_every(settings, can_update),
                severity=verdict.severity,
            )
        return self._plain_message(signin, verdict, note)

    def _plain_message(
        self, signin: SignIn, verdict: Verdict, note: Sequence[dict[str, Any]] = ()
    ) -> Mapping[str, Any]:
        try:
            return build_message(signin, verdict, self._settings, note)
        except Exception as error:  # an alert with a plain message beats no alert
            log.warning("alert message fell back to text: %s", type(error).__name__)
            return {"text": notification_text(signin, verdict)}
