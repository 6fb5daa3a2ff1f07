"""Block Kit for the daily digest."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.slack.blocks import MAX_HEADER_TEXT, MAX_SECTION_TEXT, clip, inert, safe
from chalicelib.store.day_tally import DaySummary

MAX_LINES = 10  # bursts and new places listed by name; the rest are counted


def _listing(lines: tuple[str, ...]) -> str:
    # Lines name principals (chosen by whoever signs in): URLs broken, sent verbatim.
    shown = [f"• {inert(line, 300)}" for line in lines[:MAX_LINES]]
    if len(lines) > MAX_LINES:
        shown.append(f"… and {len(lines) - MAX_LINES} more")
    return clip("\n".join(shown), MAX_SECTION_TEXT - 40) if shown else "none"


def _named(label: str, account: str, names: Mapping[str, str]) -> str:
    """`alice (111122223333)` as stored, with the account's name when one is known:
    `alice (Payments-Prod 111122223333)`."""
    suffix = f" ({account})"
    name = names.get(account)
    if not name or not label.endswith(suffix):
        return label
    return f"{label.removesuffix(suffix)} ({name} {account})"


def digest_message(summary: DaySummary, names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """`names`: account names by id (Organizations', ACCOUNT_NAMES winning)."""
    t = summary.totals
    headline = (
        f"INFO: sign-in digest for {summary.day.isoformat()}: {t['signins']} sign-ins "
        f"({t['success']} success, {t['failure']} failure, {t['unknown']} unknown), "
        f"{t['root']} root, {t['without_mfa']} without MFA, {t['new_ip']} new IPs, "
        f"{t['new_country']} new countries, {t['bursts']} bursts"
    )
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
        f"{_named(label, account, names or {})}: {count} sign-ins, {failures} failed"
        for (label, count, failures), account in zip(summary.busiest, accounts, strict=True)
    ]
    return {
        "text": clip(safe(headline, 3000), 500),
        "blocks": [
            {
                "type": "header",
                "text": {
                    "type": "plain_text",
                    "text": clip(f"Sign-in digest for {summary.day.isoformat()}", MAX_HEADER_TEXT),
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
