"""Editing a posted channel alert in place: its question line says what became of it."""

from __future__ import annotations

from chalicelib import logs
from chalicelib.confirm.question import with_note
from chalicelib.slack.delivery import SlackNotifier
from chalicelib.store.signin_record import AlertRef

# chat.update waits at most this long: an answer must be handled within Slack's 3 s.
UPDATE_SECONDS = 2.0


def update_alert(
    notifier: SlackNotifier, alert: AlertRef | None, note: str, deadline: float
) -> bool:
    """Replace the alert's question line; the details (its attachment) are kept, since
    chat.update leaves attachments alone when none are given."""
    if alert is None or not alert.channel or not alert.ts:
        return False
    try:
        notifier.update(
            {"text": alert.text, "blocks": with_note(alert.blocks, note)},
            channel=alert.channel,
            ts=alert.ts,
            deadline=notifier.deadline_within(UPDATE_SECONDS, deadline),
        )
    except Exception as error:  # the answer is recorded; a stale line is only logged
        logs.emit({"message": "confirm: alert not updated", "error": str(error)[:200]})
        return False
    return True
