"""Block Kit for the daily digest."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.settings import Settings
from chalicelib.slack.blocks import MAX_HEADER_TEXT, MAX_SECTION_TEXT, clip, inert, safe
from chalicelib.slack.digest_words import counted, digest_title
from chalicelib.slack.digest_words import headline as digest_headline
from chalicelib.store.day_tally import DaySummary

MAX_LINES = 10  # bursts and new places listed by name; the rest are counted


MAX_NOTABLE_LINES = 20  # shorter lines: each names one sign-in


def _listing(lines: tuple[str, ...], most: int = MAX_LINES, width: int = 300) -> str:
    # Lines name principals (chosen by whoever signs in): URLs broken, sent verbatim.
    shown = [f"• {inert(line, width)}" for line in lines[:most]]
    if len(lines) > most:
        shown.append(f"… and {len(lines) - most} more")
    return clip("\n".join(shown), MAX_SECTION_TEXT - 40) if shown else "none"


def _named(label: str, account: str, names: Mapping[str, str]) -> str:
    """`alice (111122223333)` as stored, with the account's name when one is known:
    `alice (Payments-Prod 111122223333)`."""
    suffix = f" ({account})"
    name = names.get(account)
    if not name or not label.endswith(suffix):
        return label
    return f"{label.removesuffix(suffix)} ({name} {account})"


def _notable(summary: DaySummary, zone_name: str) -> tuple[str, ...]:
    """Root, watched and critical sign-ins, each with its time in DISPLAY_TIMEZONE."""
    zone = ZoneInfo(zone_name)
    lines = []
    for at, text in summary.notable:
        local = datetime.fromtimestamp(at, zone)
        lines.append(f"{local:%H:%M} {local.tzname() or zone_name} {text}")
    return tuple(lines)


def digest_message(
    summary: DaySummary,
    settings: Settings | None = None,
    names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """`names`: account names by id (Organizations', ACCOUNT_NAMES winning)."""
    settings = settings or Settings()
    t = summary.totals
    language = settings.language
    headline = digest_headline(summary.day.isoformat(), t, language)
    fields = [
        ("Sign-ins", str(t["signins"])),
        ("Success / failure / unknown", f"{t['success']} / {t['failure']} / {t['unknown']}"),
        ("Root sign-ins", str(t["root"])),
        ("Successful without MFA", str(t["without_mfa"])),
        ("New IPs / new countries", f"{t['new_ip']} / {t['new_country']}"),
        ("Impossible travel", str(t["impossible_travel"])),
        ("Bursts", str(t["bursts"])),
        ("Other sign-in events", str(t["other_events"])),
    ]
    changes = t.get("account_changes", 0)
    if changes:  # password, MFA, root and access-key changes (docs/account-changes.md)
        fields.append(("Account changes", str(changes)))
        headline += f", {changes} account changes"
    # "Was this you?" counters: absent from a summary built without them.
    asked, confirmed, denied, unanswered = (
        t.get(name, 0) for name in ("asked", "confirmed", "denied", "unanswered")
    )
    if asked:
        answers = f"{confirmed} confirmed, {denied} denied, {unanswered} unanswered"
        fields.append(("Was this you?", f"{asked} asked: {answers}"))
        headline += f"; asked {asked}: {answers}"
    accounts = summary.busiest_accounts or ("",) * len(summary.busiest)
    busiest = [
        f"{_named(label, account, names or {})}: {counted(count, 'signin', language)}, "
        f"{failures} failed"
        for (label, count, failures), account in zip(summary.busiest, accounts, strict=True)
    ]
    if summary.hidden_names:  # guesses, not a principal: after the people
        busiest.append(
            f"names AWS hid (not users of this account): "
            f"{counted(summary.hidden_names, 'signin', language)}"
        )
    return {
        "text": clip(safe(headline, 3000), 500),
        "blocks": [
            {
                "type": "header",
                "text": {
                    "type": "plain_text",
                    "text": clip(digest_title(summary.day.isoformat(), language), MAX_HEADER_TEXT),
                },
            },
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": f"*{label}*\n{value}"} for label, value in fields
                ],
            },
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "*Root, watched and critical sign-ins*\n"
                    + _listing(
                        _notable(summary, settings.display_timezone), MAX_NOTABLE_LINES, 140
                    ),
                    "verbatim": True,
                },
            },
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "*Busiest principals*\n" + _listing(tuple(busiest)),
                    "verbatim": True,
                },
            },
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "*Bursts*\n" + _listing(summary.bursts),
                    "verbatim": True,
                },
            },
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "*New places*\n" + _listing(summary.places),
                    "verbatim": True,
                },
            },
        ],
    }
