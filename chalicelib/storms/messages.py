"""Block Kit for storms: the burst alert (posted once, then updated in place), its
thread replies, and the webhook's rolling summary.

Like alert_message.py, every event-derived value is escaped and clipped: user names in a
spraying attack are chosen by the attacker.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chalicelib.judge.geo import country_of
from chalicelib.settings import Settings
from chalicelib.severity import Severity
from chalicelib.signin.parse import Mfa
from chalicelib.signin.words import mfa_text_words
from chalicelib.slack.blocks import (
    MAX_FIELD_TEXT,
    MAX_NOTIFICATION_TEXT,
    SEVERITY_COLOURS,
    SEVERITY_EMOJI,
    clip,
    code,
    header_block,
    inert,
    safe,
    slack_date,
)
from chalicelib.storms.decision import PER_IP, Burst, Dimension, Opener, WindowCount, unit_words
from chalicelib.storms.titles import burst_title, duration_words

TOP_IPS = 5
TOP_NAMES = 10


def top_ips_text(count: WindowCount) -> str:
    lines = []
    for ip, n in count.ips[:TOP_IPS]:
        country = country_of(ip)
        lines.append(f"{ip} ×{n}" + (f" ({country})" if country else ""))
    if len(count.ips) > TOP_IPS:
        lines.append(f"… {len(count.ips) - TOP_IPS} more")
    return "\n".join(lines)


def tried_text(count: WindowCount) -> str:
    """The real users a spray tried, as code spans (names come from the records); the
    hidden names are guesses that are no user of the account."""
    if not count.names:
        return "none: every name tried is not a user of this account"
    shown = [code(name, 100) for name in count.names[:TOP_NAMES]]
    if len(count.names) > TOP_NAMES:
        shown.append(f"… {len(count.names) - TOP_NAMES} more")
    return ", ".join(shown)


def burst_notification(
    count: WindowCount,
    opener: Opener,
    account_id: str,
    title: str,
    severity: Severity = Severity.HIGH,
) -> str:
    """The top-level text: severity, story, principal, result, MFA and source IP."""
    subject = count.subject
    principal = opener.principal
    if subject.dimension in (Dimension.SPRAY, Dimension.IP):
        principal = f"{principal} and others"
    ip = count.ips[0][0] if count.ips else opener.source_ip
    mfa = mfa_text_words(Mfa.of_ledger(opener.mfa, ""))
    result = "success" if subject.dimension is Dimension.CHANGES else "failure"
    text = (
        f"{severity.name}: {title}: {principal}, "
        f"result {result}, MFA {mfa}, IP {ip}, account {account_id}"
    )
    return inert(text, MAX_NOTIFICATION_TEXT)


def burst_message(
    count: WindowCount,
    opener: Opener,
    settings: Settings,
    *,
    failures: int | None = None,
    summary_every: str = "",
    continues_since: int | None = None,
    failures_since: int | None = None,
    severity: Severity = Severity.HIGH,
) -> dict[str, Any]:
    """The burst alert. `failures` is the source IP's total for a spraying burst;
    `continues_since` makes it the webhook's rolling summary (new since that count)."""
    subject = count.subject
    title = burst_title(count, failures=failures)
    if continues_since is not None:
        new = f"+{count.count - continues_since}"
        if failures is not None and failures_since is not None:  # a spray: names, failures
            new += f" user names, +{failures - failures_since} failed sign-ins"
        title = f"{title} ({new} since the last message)"
    zone = settings.display_timezone
    what = unit_words(subject.dimension).capitalize()
    target = "Made by" if subject.dimension is Dimension.CHANGES else "Target"
    fields = [
        (
            target if subject.dimension in PER_IP else "Source IP",
            code(subject.label, 500),
        ),
        ("Account", safe(settings.account_label(subject.account_id), 500)),
        (what, str(count.count)),
        ("First", slack_date(_dt(count.first_epoch), zone)),
        ("Last", slack_date(_dt(count.last_epoch), zone)),
    ]
    if failures is not None:
        fields.append(("Failed sign-ins", str(failures)))
    if subject.dimension is Dimension.SPRAY:
        fields.append(("Real users tried", tried_text(count)))
    if count.ips:
        fields.append(("Top IPs", inert(top_ips_text(count), MAX_FIELD_TEXT - 20)))
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "fields": [
                # Verbatim (no auto-links) everywhere but on our own date tokens.
                {
                    "type": "mrkdwn",
                    "text": f"*{label}*\n{value}",
                    "verbatim": not value.startswith("<!date"),
                }
                for label, value in fields
            ],
        },
    ]
    things = "change" if subject.dimension is Dimension.CHANGES else "failure"
    note = f"Every {things} is in the ledger; later ones in this burst are not posted one by one"
    if summary_every:
        note += f": {summary_every}"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": note + "."}]})
    # Plain text is not escaped by Slack's rules: keep hostile names out of the header.
    kinds = {Dimension.SPRAY: "password spraying", Dimension.CHANGES: "account-change storm"}
    kind = kinds.get(subject.dimension, "brute force")
    header = f"{SEVERITY_EMOJI[severity]} {severity.name}: possible {kind}"
    return {
        "text": burst_notification(count, opener, subject.account_id, title, severity),
        "blocks": [
            header_block(header),
            {
                "type": "section",
                # The title names the target (an attacker's user names): URLs broken.
                "text": {"type": "mrkdwn", "text": inert(title, 2000), "verbatim": True},
            },
        ],
        "attachments": [{"color": SEVERITY_COLOURS[severity], "blocks": blocks}],
    }


def thread_reply(
    count: WindowCount, burst: Burst, settings: Settings, failures: int | None = None
) -> dict[str, Any]:
    """What happened since the last reply, in one short message in the alert's thread."""
    new = count.count - burst.summarised_count
    unit = unit_words(count.subject.dimension)
    if failures is not None:  # a spray: its failed sign-ins too
        unit += f", +{failures - burst.summarised_failures} failed sign-ins"
    text = (
        f"+{new} {unit} (total {count.count} in "
        f"{duration_words(count.last_epoch - count.first_epoch)}), last at "
        f"{slack_date(_dt(count.last_epoch), settings.display_timezone)}"
    )
    if count.ips:
        text += f"\nTop IPs: {inert(top_ips_text(count).replace(chr(10), ', '), 1500)}"
    return {"text": clip(text, 3000)}


def _dt(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)
