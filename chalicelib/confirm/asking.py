"""Asking: which sign-ins get a question, and sending it once the alert is posted.

The pipeline calls `plan` before it builds the alert (so the alert can say whom it
asked) and `ask` after the alert is posted. Neither raises: the alert is what matters,
a question that cannot be sent is logged and recorded as such.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from chalicelib import logs
from chalicelib.alerting.values import Alert, Question
from chalicelib.clock import Clock
from chalicelib.confirm.alert_update import update_alert
from chalicelib.confirm.question import answer_note, note_block, question_message
from chalicelib.confirm.slack_api import SlackApi
from chalicelib.confirm.users import Found, SlackUser, UserFinder
from chalicelib.judge.rules import Verdict
from chalicelib.settings import Settings
from chalicelib.signin.parse import Result, SignIn
from chalicelib.slack.delivery import Delivered, SlackNotifier
from chalicelib.store.attributes import Write
from chalicelib.store.day_tally import DayTally
from chalicelib.store.listing import is_listed
from chalicelib.store.signin_record import AlertRef, ConfirmState
from chalicelib.store.signin_writes import SigninWrites

WEBHOOK_ONLY = "CONFIRM_ENABLED is set but Slack is a webhook: questions need SLACK_BOT_TOKEN"


def should_ask(signin: SignIn, verdict: Verdict, settings: Settings) -> bool:
    """A successful sign-in as a person means it, serious enough or from a new place."""
    if signin.outcome is not Result.SUCCESS or not is_listed(signin):
        return False
    return verdict.severity >= settings.confirm_min_severity or verdict.new_place


class Confirmations:
    def __init__(
        self,
        settings: Settings,
        *,
        writes: SigninWrites,
        users: UserFinder,
        slack: Callable[[], SlackApi | None],
        notifier: Callable[[], SlackNotifier],
        tally: DayTally,
        clock: Clock,
    ) -> None:
        self._settings = settings
        self._writes = writes  # the question's "asked" or "failed" on the item
        self._users = users
        self._slack = slack  # None when Slack is a webhook: then nobody is asked
        self._notifier = notifier
        self._tally = tally
        self._clock = clock
        self._said_webhook_only = False

    def plan(self, signin: SignIn, verdict: Verdict) -> Question | None:
        settings = self._settings
        if not settings.confirm_enabled or not should_ask(signin, verdict, settings):
            return None
        try:
            web_api = self._slack() is not None
        except Exception as error:  # a bad token setting: the alert's own post says so
            self._log("not asked", signin, reason=type(error).__name__)
            return None
        if not web_api:
            if not self._said_webhook_only:  # once per container, not once per sign-in
                self._said_webhook_only = True
                logs.emit({"message": "confirmations off", "reason": WEBHOOK_ONLY})
            return None
        try:
            found = self._users.find(signin)
        except Exception as error:  # never let the question stop the alert
            found = SlackUser("", Found.LOOKUP_FAILED, repr(error))
        if found.found in (Found.NOBODY, Found.LOOKUP_FAILED):
            self._log("no Slack user", signin, reason=found.detail)
        state = ConfirmState.ASKED if found.user_id else ConfirmState.NOT_ASKED
        return Question(found.user_id, (note_block(answer_note(state, found.user_id)),))

    def after_post(
        self, signin: SignIn, alert: Alert, delivered: Delivered, *, deadline: float
    ) -> Sequence[Write]:
        """The pipeline's after-post step, between deliver and mark sent: send the DM to
        the user the alert names and record it. Never raises (the alert is posted).

        The "asked" state is its own conditional UpdateItem (`attribute_not_exists
        (confirm_state)`), written before the "sent" mark: it changes the sign-in's own
        item, which the "sent" update changes too, and one transaction may not touch an
        item twice. The day's "asked" counter is returned, so it joins the "sent"
        transaction. A retry after a crash here finds the state and asks nobody again."""
        if not alert.ask_user:
            return ()
        try:
            return self._ask(signin, alert.ask_user, delivered, alert.message, deadline)
        except Exception as error:  # DynamoDB unreachable after the post
            self._log("question state not recorded", signin, reason=repr(error))
            return ()

    def _ask(
        self,
        signin: SignIn,
        user_id: str,
        delivered: Delivered,
        alert: Mapping[str, Any],
        deadline: float,
    ) -> Sequence[Write]:
        now = self._clock()
        alert_ref = AlertRef(
            delivered.channel,
            delivered.reference,
            str(alert.get("text", "")),
            tuple(alert.get("blocks", ())),
        )
        try:
            slack = self._slack()
            assert slack is not None  # plan() returned a question only for the Web API
            dm_channel = slack.open_dm(user_id)
            sent = self._notifier().post(
                question_message(signin, self._settings), channel=dm_channel, deadline=deadline
            )
        except Exception as error:  # never undo the alert for its question
            reason = (
                str(getattr(error, "error", "") or getattr(error, "reason", ""))
                or type(error).__name__
            )
            self._log("question not sent", signin, user_id=user_id, reason=reason)
            self._writes.not_asked(signin.event_id, user_id=user_id, reason=reason)
            note = answer_note(ConfirmState.FAILED, user_id)
            update_alert(self._notifier(), alert_ref, note, deadline)
            return ()
        due = now + timedelta(minutes=self._settings.confirm_within_minutes)
        first = self._writes.asked(
            signin.event_id,
            user_id=user_id,
            at=now,
            due=due,
            dm_channel=sent.channel or dm_channel,
            dm_ts=sent.reference,
            alert=alert_ref,
        )
        self._log("asked", signin, user_id=user_id, reason="" if first else "asked before")
        return [self._tally.count_write(signin.event_time.date(), {"asked": 1})] if first else []

    def _log(self, what: str, signin: SignIn, *, user_id: str = "", reason: str = "") -> None:
        logs.emit(
            {
                "message": f"confirm: {what}",
                "event_id": signin.event_id,
                "principal": signin.principal_key,
                "slack_user": user_id,
                "reason": reason[:300],
            }
        )
