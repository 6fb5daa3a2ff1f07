"""Block Kit replies to `/recent-logins`: the listing, usage, refusals."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.recent_logins.command import MAX_QUOTED_WORD, USAGE, BadCommand, Command
from chalicelib.recent_logins.queries import Entry, History
from chalicelib.settings import Settings
from chalicelib.signin.parse import Mfa
from chalicelib.signin.words import mfa_words, name_detail, principal_words
from chalicelib.slack.blocks import MAX_SECTION_TEXT, clip, code, escape, inert, safe, slack_date
from chalicelib.slack.time_text import signin_time_text
from chalicelib.store.schema import Category

# One listed sign-in's line stays under this, so five fit in a section and fifty
# entries never need more than ten sections.
MAX_ENTRY_TEXT = 560


def _reply(text: str, blocks: list[dict[str, Any]]) -> dict[str, Any]:
    return {"response_type": "ephemeral", "text": clip(text, 3000), "blocks": blocks}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, MAX_SECTION_TEXT)}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, 2000)}]}


def usage_reply(bad: BadCommand | None = None) -> dict[str, Any]:
    if bad is None:
        return _reply("How to use /recent-logins", [_section(USAGE)])
    # A backtick would end the code span the word is shown in.
    quoted = safe(bad.word.replace("`", "'"), MAX_QUOTED_WORD)
    problem = f":warning: I did not understand `{quoted}`: {escape(bad.why)}."
    return _reply(
        f"I did not understand “{quoted}”. Type /recent-logins help for usage.",
        [_section(problem), _section(USAGE)],
    )


def not_allowed_reply() -> dict[str, Any]:
    text = (
        ":no_entry: You are not allowed to see sign-ins here. Ask the team that runs "
        "signin-alerts to add you or this channel."
    )
    return _reply("You are not allowed to see sign-ins here.", [_section(text)])


def unavailable_reply() -> dict[str, Any]:
    text = ":hourglass: The sign-in ledger could not be read just now. Try again shortly."
    return _reply("The sign-in ledger could not be read just now.", [_section(text)])


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def command_words(command: Command, settings: Settings) -> str:
    """`failed root sign-ins matching “alice” in account prod (1111…)`, escaped."""
    if Category.CHANGES in command.categories:  # given alone (command.py)
        return "account changes"
    words = [
        category.value for category in sorted(command.categories) if category is not Category.NOMFA
    ]
    noun = " ".join([*words, "sign-ins"])
    if Category.NOMFA in command.categories:
        noun += " without MFA"
    if command.who:
        noun += f" matching “{safe(command.who, 128)}”"
    if command.account_ids:
        label = command.account_text or settings.account_label(command.account_id)
        noun += f" in account {safe(label, 200)}"
    return noun


def recent_reply(
    command: Command,
    history: History,
    settings: Settings,
    marks: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """`marks`: the "Was this you?" state per eventID when questions are on, else None."""
    window = f"in the last {command.window_text}"
    counts = history.window
    breakdown = (
        f"{_plural(counts.signins, 'sign-in')} {window}: {counts.failed:,} failed, "
        f"{counts.root:,} root, {counts.nomfa:,} without MFA"
    )
    changes = counts.of(frozenset({Category.CHANGES}))
    if changes:
        breakdown += f"; {_plural(changes, 'account change')}"

    if history.retained == 0:
        text = (
            ":open_file_folder: The sign-in ledger is empty: no sign-ins have been "
            "recorded yet. New sign-ins appear here as they happen; to import the past "
            "90 days from CloudTrail, an operator runs `python manage.py backfill`."
        )
        return _reply("The sign-in ledger is empty.", [_section(text)])

    filtered = bool(command.categories or command.who or command.account_ids)
    shown = len(history.entries)
    if not filtered:
        headline = f"{shown:,} of {breakdown}"
    elif history.matched is not None:
        headline = f"{shown:,} of {history.matched:,} {command_words(command, settings)} {window}"
    else:
        headline = f"{shown:,} newest {command_words(command, settings)} {window}"

    if not history.entries:
        nothing = f":mag: No {command_words(command, settings)} {window}."
        hint = (
            f"{breakdown}."
            if filtered
            else f"The ledger holds {_plural(history.retained, 'sign-in')} "
            f"in the last {settings.ledger_retention_days} days: try `since "
            f"{settings.ledger_retention_days}d`."
        )
        empty_blocks = [_section(nothing), _context(hint)]
        return _reply(f"No {command_words(command, settings)} {window}.", empty_blocks)

    blocks: list[dict[str, Any]] = [_section(f"*{headline}*")]
    if filtered:
        blocks.append(_context(breakdown))
    lines = [
        entry_line(entry, settings, None if marks is None else marks.get(entry.event_id, ""))
        for entry in history.entries
    ]
    # Whole lines packed into sections: at most five lines of MAX_ENTRY_TEXT fit in one,
    # so fifty entries take ten sections, far below MAX_BLOCKS, and no entry is cut.
    section: list[str] = []
    for line in lines:
        if section and len("\n".join([*section, line])) > MAX_SECTION_TEXT:
            blocks.append(_section("\n".join(section)))
            section = []
        section.append(line)
    if section:
        blocks.append(_section("\n".join(section)))
    footer = "Newest first. :white_check_mark: success · :x: failure · :grey_question: unknown"
    if history.since is not None:
        footer = f"Since {slack_date(history.since, settings.display_timezone)}. {footer}"
    blocks.append(_context(footer))
    return _reply(clip(headline.replace("*", ""), 500), blocks)


_MARKS = {"success": ":white_check_mark:", "failure": ":x:"}


# "Was this you?" per sign-in (chalicelib/confirm/state.ConfirmState values).
_CONFIRM_MARKS = {
    "confirmed": ":ok_hand: confirmed",
    "denied": ":rotating_light: *denied*",
    "unanswered": ":hourglass: unanswered",
    "asked": ":speech_balloon: asked",
    "failed": "not asked (DM failed)",
}


def entry_line(entry: Entry, settings: Settings, confirm: str | None = None) -> str:
    """One sign-in: time, result mark, principal (with its kind), account, source IP,
    MFA (the alert's words), region, and (`confirm` not None) whether the person
    confirmed it. Names are code spans: Slack links nothing there."""
    principal = principal_words(
        entry.principal_type,
        entry.display_name,
        entry.role_name,
        entry.federation,
        show=lambda name: code(name, 120),
        name_status=entry.name_status,
    )
    principal = f"*{principal}*"
    if entry.change:  # an account change: what changed, then who changed it
        principal = f"{inert(entry.change, 200)} · by {principal}"
    detail = name_detail(entry.name_status)
    if detail:  # why it reads "unknown user": our words, not the event's
        principal = f"{principal} ({detail})"
    mfa = "MFA " + mfa_words(Mfa.of_ledger(entry.mfa, entry.federation), "", entry.federation)
    result = _MARKS.get(entry.outcome, ":grey_question:")
    if entry.outcome == "failure" and entry.failure_reason:
        reason = f" _{safe(entry.failure_reason, 80)}_"
    else:
        reason = ""
    line = (
        f"{signin_time_text(entry.event_time, entry.time_recorded, settings)} {result} "
        f"{principal}{reason} · {safe(settings.account_label(entry.account_id), 90)}"
        f" · {safe(entry.source_ip, 64)} · {mfa} · {safe(entry.region, 32)}"
    )
    if confirm is not None:
        line += " · " + _CONFIRM_MARKS.get(confirm, "not asked")
    return clip(line, MAX_ENTRY_TEXT)
