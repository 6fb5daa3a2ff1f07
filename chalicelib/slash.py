"""The `/recent-logins` command: its words, who may use it, and its Block Kit replies.

Pure functions and values only: no AWS, no HTTP. Every reply is ephemeral (only the
person who typed the command sees it), and every event-derived text in it is escaped
and clipped so that any ledger content stays within Slack's limits.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chalicelib.formatter import (
    MAX_SECTION_TEXT,
    clip,
    escape,
    safe,
    slack_date,
)
from chalicelib.history import Entry, History, HistoryQuery
from chalicelib.ledger import Category
from chalicelib.settings import Settings

DEFAULT_LIMIT = 10
MAX_LIMIT = 50
DEFAULT_WINDOW = timedelta(days=7)
USAGE = (
    "*Usage:* `/recent-logins [N] [WHO] [failed|root|nomfa] [since DURATION] "
    "[account ID|NAME]`\n"
    "• `N`: how many, 1 to 50 (default 10)\n"
    "• `WHO`: part of a user name or ARN, any case\n"
    "• `failed`, `root`, `nomfa`: only failed sign-ins, root sign-ins, or successful "
    "IAM user or root sign-ins without MFA (SAML and Identity Center sessions are never "
    "counted: CloudTrail cannot see their MFA)\n"
    "• `since 30m`, `since 24h`, `since 7d` (default 7d)\n"
    "• `account 111122223333` or `account NAME`\n"
    "Words in any order, e.g. `/recent-logins 20 failed since 24h alice`."
)
_DURATION = re.compile(r"^([0-9]{1,5})(m|h|d|w)$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_UNIT_WORDS = {"m": "minute", "h": "hour", "d": "day", "w": "week"}
_ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
_NUMBER = re.compile(r"^[0-9]+$")
# What an IAM/Identity Center name or an ARN can contain; anything else is not a WHO.
_WHO = re.compile(r"^[\w+=,.@:/-]{1,128}$")
MAX_WORDS = 12
MAX_QUOTED_WORD = 60
# One listed sign-in's line stays under this, so five fit in a section and fifty
# entries never need more than ten sections.
MAX_ENTRY_TEXT = 560


class BadCommand(ValueError):
    """A word the command does not understand; the reply quotes it."""

    def __init__(self, word: str, why: str) -> None:
        super().__init__(f"{word!r}: {why}")
        self.word = word
        self.why = why


@dataclass(frozen=True)
class Command:
    """What the user asked for, in the user's terms (the window as they wrote it)."""

    limit: int = DEFAULT_LIMIT
    who: str = ""
    categories: frozenset[Category] = frozenset()
    window: timedelta = DEFAULT_WINDOW
    window_text: str = "7 days"
    account_id: str = ""
    help: bool = False

    def to_query(self, now: datetime) -> HistoryQuery:
        since = now - self.window
        if not self.window_text.endswith(("minute", "minutes")):
            # `since 24h`, `7d`: from the start of that hour, so the counters answer the
            # summary alone; `since 30m` is exact to the second.
            since = since.replace(minute=0, second=0, microsecond=0)
        return HistoryQuery(
            limit=self.limit,
            since=since,
            categories=self.categories,
            who=self.who.lower(),
            account_id=self.account_id,
        )


def parse_command(text: str, settings: Settings) -> Command:
    """Words in any order. Raises `BadCommand` naming the first word it cannot use."""
    words = text.split()
    if len(words) > MAX_WORDS:
        raise BadCommand(words[MAX_WORDS], f"at most {MAX_WORDS} words")
    limit: int | None = None
    who = ""
    categories: set[Category] = set()
    window: tuple[timedelta, str] | None = None
    account_id = ""
    position = 0
    while position < len(words):
        word = words[position]
        lowered = word.lower()
        position += 1
        if lowered in ("help", "-h", "--help", "?"):
            return Command(help=True)
        if lowered in {category.value for category in Category}:
            categories.add(Category(lowered))
        elif lowered == "since":
            if position >= len(words):
                raise BadCommand(word, "it needs a duration, such as `since 24h`")
            window = _duration(words[position], settings, window)
            position += 1
        elif _DURATION.match(lowered):
            window = _duration(word, settings, window)
        elif lowered == "account":
            if position >= len(words):
                raise BadCommand(word, "it needs an account ID or name, such as `account prod`")
            account_id = _account(words[position], settings, account_id)
            position += 1
        elif _ACCOUNT_ID.match(word):
            account_id = _account(word, settings, account_id)
        elif _NUMBER.match(word):
            if limit is not None:
                raise BadCommand(word, "give one number of entries")
            limit = int(word) if len(word) <= 3 else 0  # no 4,000-digit int()
            if not 1 <= limit <= MAX_LIMIT:
                raise BadCommand(word, f"the number of entries is 1 to {MAX_LIMIT}")
        elif _WHO.match(word):
            if who:
                raise BadCommand(word, f"give one name to look for (already `{who}`)")
            who = word
        else:
            raise BadCommand(word, "it is not a name, number, filter or duration")
    delta, window_text = window or (DEFAULT_WINDOW, "7 days")
    return Command(
        limit=limit or DEFAULT_LIMIT,
        who=who,
        categories=frozenset(categories),
        window=delta,
        window_text=window_text,
        account_id=account_id,
    )


def _duration(
    word: str, settings: Settings, already: tuple[timedelta, str] | None
) -> tuple[timedelta, str]:
    if already is not None:
        raise BadCommand(word, "give one `since`")
    match = _DURATION.match(word.lower())
    if not match:
        raise BadCommand(word, "it is not a duration: use minutes, hours or days, e.g. `24h`")
    amount, unit = int(match.group(1)), match.group(2)
    if amount == 0:
        raise BadCommand(word, "a duration must be more than zero")
    delta = timedelta(**{_UNITS[unit]: amount})
    if delta > timedelta(days=settings.ledger_retention_days):
        raise BadCommand(
            word, f"the ledger keeps {settings.ledger_retention_days} days of sign-ins"
        )
    noun = _UNIT_WORDS[unit] + ("" if amount == 1 else "s")
    return delta, f"{amount} {noun}"


def _account(word: str, settings: Settings, already: str) -> str:
    if already:
        raise BadCommand(word, "give one account")
    if _ACCOUNT_ID.match(word):
        return word
    for account_id, name in settings.account_names.items():
        if name.lower() == word.lower():
            return account_id
    known = ", ".join(sorted(settings.account_names.values())) or "none configured"
    raise BadCommand(word, f"it is not a 12-digit account ID or a known account name ({known})")


# --- who may ask ---------------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    team_id: str
    user_id: str
    channel_id: str

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> Caller:
        return cls(
            form.get("team_id", "").strip(),
            form.get("user_id", "").strip(),
            form.get("channel_id", "").strip(),
        )


@dataclass(frozen=True)
class Access:
    """Who may see sign-ins: the workspace (required), and optionally users, channels."""

    team_ids: frozenset[str]
    user_ids: frozenset[str] = field(default_factory=frozenset)
    channel_ids: frozenset[str] = field(default_factory=frozenset)

    def refusal(self, caller: Caller) -> str | None:
        """Why the caller may not see sign-ins, for the log; None when they may."""
        if not self.team_ids:
            return "SLACK_TEAM_ID is not configured"
        if caller.team_id not in self.team_ids:
            return "workspace not allowed"
        if self.user_ids and caller.user_id not in self.user_ids:
            return "user not allowed"
        if self.channel_ids and caller.channel_id not in self.channel_ids:
            return "channel not allowed"
        return None


# --- replies -------------------------------------------------------------------------


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


def describe(command: Command, settings: Settings) -> str:
    """`failed root sign-ins matching “alice” in account prod (1111…)`, escaped."""
    words = [
        category.value for category in sorted(command.categories) if category is not Category.NOMFA
    ]
    noun = " ".join([*words, "sign-ins"])
    if Category.NOMFA in command.categories:
        noun += " without MFA"
    if command.who:
        noun += f" matching “{safe(command.who, 128)}”"
    if command.account_id:
        noun += f" in account {safe(settings.account_label(command.account_id), 200)}"
    return noun


def recent_reply(command: Command, history: History, settings: Settings) -> dict[str, Any]:
    window = f"in the last {command.window_text}"
    counts = history.window
    breakdown = (
        f"{_plural(counts.signins, 'sign-in')} {window}: {counts.failed:,} failed, "
        f"{counts.root:,} root, {counts.nomfa:,} without MFA"
    )
    if history.retained == 0:
        text = (
            ":open_file_folder: The sign-in ledger is empty: no sign-ins have been "
            "recorded yet. New sign-ins appear here as they happen; to import the past "
            "90 days from CloudTrail, an operator runs `python manage.py backfill`."
        )
        return _reply("The sign-in ledger is empty.", [_section(text)])

    filtered = bool(command.categories or command.who or command.account_id)
    shown = len(history.entries)
    if not filtered:
        headline = f"{shown:,} of {breakdown}"
    elif history.matched is not None:
        headline = f"{shown:,} of {history.matched:,} {describe(command, settings)} {window}"
    else:
        headline = f"{shown:,} newest {describe(command, settings)} {window}"

    if not history.entries:
        nothing = f":mag: No {describe(command, settings)} {window}."
        hint = (
            f"{breakdown}."
            if filtered
            else f"The ledger holds {_plural(history.retained, 'sign-in')} "
            f"in the last {settings.ledger_retention_days} days: try `since "
            f"{settings.ledger_retention_days}d`."
        )
        empty_blocks = [_section(nothing), _context(hint)]
        if not history.complete:
            empty_blocks.append(_context(_incomplete(history, settings)))
        return _reply(f"No {describe(command, settings)} {window}.", empty_blocks)

    blocks: list[dict[str, Any]] = [_section(f"*{headline}*")]
    if filtered:
        blocks.append(_context(breakdown))
    lines = [entry_line(entry, settings) for entry in history.entries]
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
    if not history.complete:
        footer = _incomplete(history, settings) + " " + footer
    blocks.append(_context(footer))
    return _reply(clip(headline.replace("*", ""), 500), blocks)


def _incomplete(history: History, settings: Settings) -> str:
    reached = history.searched_back_to
    where = f" back to {slack_date(reached, settings.display_timezone)}" if reached else ""
    return (
        f":hourglass: Searched{where} only, to answer within Slack's time limit: "
        "narrow it with `since`, a category or an account."
    )


_MARKS = {"success": ":white_check_mark:", "failure": ":x:"}


def entry_line(entry: Entry, settings: Settings) -> str:
    """One sign-in: time, result mark, principal, account, source IP, MFA, region."""
    principal = entry.display_name
    if entry.role_name and entry.role_name != entry.display_name:
        principal = f"{principal} ({entry.role_name})"
    if entry.principal_type == "root":
        principal = f"{principal} (root)" if principal != "root" else principal
    mfa = {"yes": "MFA yes", "no": "MFA no"}.get(entry.mfa, "MFA unknown")
    if entry.federation in ("saml", "identity_center") and entry.mfa != "yes":
        mfa = "MFA at the identity provider"
    result = _MARKS.get(entry.outcome, ":grey_question:")
    if entry.outcome == "failure" and entry.failure_reason:
        reason = f" _{safe(entry.failure_reason, 80)}_"
    else:
        reason = ""
    line = (
        f"{slack_date(entry.event_time, settings.display_timezone)} {result} "
        f"*{safe(principal, 120)}*{reason} · {safe(settings.account_label(entry.account_id), 90)}"
        f" · {safe(entry.source_ip, 64)} · {mfa} · {safe(entry.region, 32)}"
    )
    return clip(line, MAX_ENTRY_TEXT)
