"""The `/recent-logins` command: its words, who may use it, and its Block Kit replies.

Pure functions and values only: no AWS, no HTTP. Every reply is ephemeral (only the
person who typed the command sees it), and every event-derived text in it is escaped
and clipped so that any ledger content stays within Slack's limits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.organization.roster import OU_PREFIX, Roster
from chalicelib.recent_logins.queries import HistoryQuery
from chalicelib.settings import Settings
from chalicelib.store.schema import Category

DEFAULT_LIMIT = 10
MAX_LIMIT = 50
DEFAULT_WINDOW = timedelta(days=7)
# The grammar in one line: the usage reply's first line and the manifest's usage hint.
GRAMMAR = "[N] [WHO] [failed|root|nomfa] [since 30m|24h|7d] [account ID|NAME|ou:PATH]"
# Slack's limit on a slash command's text, in characters of any script.
MAX_TEXT_CHARACTERS = 4000
USAGE = (
    f"*Usage:* `/recent-logins {GRAMMAR}`\n"
    "• `N`: how many, 1 to 50 (default 10)\n"
    "• `WHO`: part of a user name or ARN, any case\n"
    "• `failed`, `root`, `nomfa`: only failed sign-ins, root sign-ins, or successful "
    "sign-ins whose record says MFA no (never SAML or Identity Center sessions, whose "
    "MFA is at the identity provider, nor records that say nothing of MFA)\n"
    "• `since 30m`, `since 24h`, `since 7d` (default 7d): exactly that long, to the second\n"
    "• `account 111122223333`, `account NAME` (its name in AWS Organizations or "
    "ACCOUNT_NAMES, any case) or `account ou:Workloads` (every account under that OU)\n"
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
MAX_NAMES_SHOWN = 15  # known accounts or OUs a usage reply lists
MAX_QUOTED_WORD = 60


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
    account_ids: frozenset[str] = frozenset()
    # How a reply names the accounts asked for: `Payments-Prod (1111…)`, `ou:Workloads`.
    account_text: str = ""
    help: bool = False

    @property
    def account_id(self) -> str:
        """The one account asked for; "" for none or several (an OU)."""
        return next(iter(self.account_ids)) if len(self.account_ids) == 1 else ""

    def to_query(self, now: datetime) -> HistoryQuery:
        # Exact to the second whatever the unit: `since 2h` at 15:55:07 is 13:55:07 on.
        since = (now - self.window).replace(microsecond=0)
        return HistoryQuery(
            limit=self.limit,
            since=since,
            categories=self.categories,
            who=self.who.lower(),
            account_ids=self.account_ids,
        )


def parse_command(text: str, settings: Settings, roster: Roster | None = None) -> Command:
    """Words in any order. Raises `BadCommand` naming the first word it cannot use.
    `roster`: the organization, whose names and OUs `account` also takes."""
    roster = roster or Roster()
    if len(text) > MAX_TEXT_CHARACTERS:
        why = f"a command is at most {MAX_TEXT_CHARACTERS:,} characters"
        raise BadCommand(text[:20] + "…", why)
    words = text.split()
    if len(words) > MAX_WORDS:
        raise BadCommand(words[MAX_WORDS], f"at most {MAX_WORDS} words")
    limit: int | None = None
    who = ""
    categories: set[Category] = set()
    window: tuple[timedelta, str] | None = None
    accounts: tuple[frozenset[str], str] | None = None
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
            accounts = _account(words[position], settings, roster, accounts)
            position += 1
        elif _ACCOUNT_ID.match(word):
            accounts = _account(word, settings, roster, accounts)
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
    if Category.CHANGES in categories and (who or accounts or len(categories) > 1):
        # Changes are listed by time, apart from sign-ins (no principal directory).
        raise BadCommand(
            Category.CHANGES.value,
            "it lists every account change of the window: give it alone, with a number "
            "or a duration (`changes since 24h`)",
        )
    delta, window_text = window or (DEFAULT_WINDOW, "7 days")
    return Command(
        limit=limit or DEFAULT_LIMIT,
        who=who,
        categories=frozenset(categories),
        window=delta,
        window_text=window_text,
        account_ids=accounts[0] if accounts else frozenset(),
        account_text=accounts[1] if accounts else "",
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


def _account(
    word: str,
    settings: Settings,
    roster: Roster,
    already: tuple[frozenset[str], str] | None,
) -> tuple[frozenset[str], str]:
    """An id, a name (ACCOUNT_NAMES first, then Organizations'; any case) or `ou:PATH`:
    the accounts, and how the reply names them."""
    if already is not None:
        raise BadCommand(word, "give one account")
    names = settings.with_account_names(roster.names())
    if _ACCOUNT_ID.match(word):
        return frozenset({word}), names.account_label(word)
    if word.lower().startswith(OU_PREFIX) and len(word) > len(OU_PREFIX):
        path = word[len(OU_PREFIX) :].strip("/")
        under = roster.under(path)
        if not under:
            known = _bounded(sorted({a.ou_path for a in roster.accounts if a.ou_path}))
            raise BadCommand(word, f"no account of the organization is under that OU ({known})")
        return frozenset(a.account_id for a in under), f"ou:{path} ({len(under)} accounts)"
    for account_id, name in names.account_names.items():
        if name.lower() == word.lower():
            return frozenset({account_id}), names.account_label(account_id)
    member = roster.named(word)  # its Organizations name, though ACCOUNT_NAMES renames it
    if member is not None:
        return frozenset({member.account_id}), names.account_label(member.account_id)
    known = _bounded(sorted(set(names.account_names.values()), key=str.lower))
    raise BadCommand(
        word, f"it is not a 12-digit account ID, a known account name or `ou:PATH` ({known})"
    )


def _bounded(names: list[str]) -> str:
    """At most MAX_NAMES_SHOWN names, each clipped: a usage reply stays short."""
    if not names:
        return "none known"
    shown = [name[:40] for name in names[:MAX_NAMES_SHOWN]]
    more = len(names) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


# --- who may ask ---------------------------------------------------------------------
