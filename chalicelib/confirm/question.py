"""Block Kit for the question and what replaces it: the DM with the sign-in's facts and
two buttons, the thank-you, and the one line on the channel alert that tells its fate.

Everything from the event is hostile text: escaped with `safe` (so a user name such as
`<!channel>` mentions nobody); the only mentions are Slack user IDs the app found itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from chalicelib.confirm.state import Answer
from chalicelib.judge.geo import country_of
from chalicelib.judge.rules.change_words import change_title
from chalicelib.settings import Settings
from chalicelib.signin.parse import SignIn
from chalicelib.slack.alert_message import (
    LABELS,
    account_text,
    mfa_text,
    principal_text,
    service_text,
)
from chalicelib.slack.answer_buttons import NOT_ME, WAS_ME, answer_buttons
from chalicelib.slack.blocks import (
    MAX_FIELD_TEXT,
    MAX_NOTIFICATION_TEXT,
    clip,
    code,
    inert,
    safe,
)
from chalicelib.slack.time_text import signin_time_text
from chalicelib.store.signin_record import ConfirmState

ACTIONS = {WAS_ME: Answer.WAS_ME, NOT_ME: Answer.NOT_ME}
# The alert's line about its question, found again by this block_id to be replaced.
NOTE_BLOCK_ID = "signin_confirm"


def minutes_text(minutes: float) -> str:
    """`15 min`, `2.5 min`, `3 s` (CONFIRM_WITHIN_MINUTES may be a fraction)."""
    if minutes < 1:
        return f"{round(minutes * 60)} s"
    return f"{minutes:g} min" if minutes != int(minutes) else f"{int(minutes)} min"


def where(source_ip: str) -> str:
    country = country_of(source_ip)
    return f"{source_ip} ({country})" if country else source_ip


def question_message(signin: SignIn, settings: Settings) -> dict[str, Any]:
    """The DM: what happened, in the reader's time zone, and the two buttons."""
    labels = LABELS[settings.language]
    room = MAX_FIELD_TEXT - 40
    # Names and addresses are chosen by whoever signs in: code spans or inert, never links.
    facts = [
        ("Account", safe(account_text(signin, settings), room)),
        ("From", inert(where(signin.source_ip), room)),
        ("As", principal_text(signin, show=lambda name: code(name, room // 3))),
        ("MFA", safe(mfa_text(signin, labels), room)),
    ]
    when = signin_time_text(signin.event_time, signin.time_recorded, settings)
    fields = [{"type": "mrkdwn", "text": f"*When*\n{when}"}]
    fields += [{"type": "mrkdwn", "text": f"*{label}*\n{value}"} for label, value in facts]
    happened = f"Someone just signed in as you ({inert(service_text(signin, labels), 200)})."
    if signin.change is not None:  # the person who made an account change is asked
        happened = f"Someone just made this change as you: {inert(change_title(signin), 500)}."
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f":wave: *Was this you?* {happened} "
                "Please tell the security team whether it was you.",
            },
        },
        {"type": "section", "fields": fields},
    ]
    if signin.user_agent:
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": "Browser: " + code(signin.user_agent, 1500)}
                ],
            }
        )
    blocks.append(answer_buttons(signin.event_id, block_id="signin_confirm_answer"))
    text = (
        f"Was this you? An AWS console sign-in as {signin.display_name} to account "
        f"{signin.account_id} from {signin.source_ip}"
    )
    if signin.change is not None:
        text = (
            f"Was this you? {change_title(signin)}, as {signin.display_name} in account "
            f"{signin.account_id} from {signin.source_ip}"
        )
    return {"text": safe(text, MAX_NOTIFICATION_TEXT), "blocks": blocks}


def thanks_message(answer: Answer, signin: Mapping[str, str]) -> dict[str, Any]:
    """What replaces the DM once answered: the buttons go, the facts stay readable."""
    what = (
        f"sign-in as {safe(signin.get('display_name', ''), 200)} to account "
        f"{safe(signin.get('account_id', ''), 40)} from {safe(signin.get('source_ip', ''), 64)}"
    )
    if signin.get("change"):  # an account change: what it changed
        what = (
            f"change ({inert(signin['change'], 200)}) as "
            f"{safe(signin.get('display_name', ''), 200)} in account "
            f"{safe(signin.get('account_id', ''), 40)}"
        )
    if answer is Answer.WAS_ME:
        text = f":white_check_mark: Thanks! Recorded that the {what} was you."
    else:
        text = (
            f":rotating_light: Thanks for telling us. The {what} was not you: the "
            "security team has been alerted and will be in touch. Change your password "
            "if you can."
        )
    return {
        "text": clip(text.replace("*", ""), MAX_NOTIFICATION_TEXT),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    }


def answer_note(
    state: ConfirmState, user_id: str, *, minutes: float | None = None, within: str = ""
) -> str:
    """The alert's line about its question (mrkdwn; `user_id` is a checked Slack ID)."""
    who = f"<@{user_id}>"
    after = f" {max(0, round(minutes))} min after being asked" if minutes is not None else ""
    return {
        ConfirmState.ASKED: f":speech_balloon: asked {who} whether this was them",
        ConfirmState.CONFIRMED: f":white_check_mark: confirmed by {who}{after}",
        ConfirmState.DENIED: f":rotating_light: denied by {who}{after}: escalated",
        ConfirmState.UNANSWERED: f":hourglass: no answer from {who} in {within}: escalated",
        ConfirmState.FAILED: f":warning: could not ask {who} (Slack refused the message)",
        ConfirmState.NOT_ASKED: ":grey_question: no Slack user mapped: nobody was asked",
    }[state]


def note_block(note: str) -> dict[str, Any]:
    return {
        "type": "context",
        "block_id": NOTE_BLOCK_ID,
        "elements": [{"type": "mrkdwn", "text": note}],
    }


def with_note(blocks: Sequence[Mapping[str, Any]], note: str) -> list[dict[str, Any]]:
    """The alert's top-level blocks with its question line replaced (or added)."""
    kept = [dict(block) for block in blocks if block.get("block_id") != NOTE_BLOCK_ID]
    return [*kept, note_block(note)]


def minutes_between(start: datetime | None, end: datetime) -> float | None:
    return None if start is None else (end - start).total_seconds() / 60
