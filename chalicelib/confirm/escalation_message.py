"""Block Kit for an escalation: the person denies the sign-in (CRITICAL), or said
nothing in time. Each names the principal, mentions `SLACK_ESCALATION_MENTION` (the
only broadcast the app sends, and only from configuration) and gives a short runbook
with links. Every event-derived text is escaped; URLs quote it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from chalicelib.confirm.question import where
from chalicelib.settings import Settings
from chalicelib.severity import Severity
from chalicelib.slack.blocks import (
    MAX_NOTIFICATION_TEXT,
    MAX_SECTION_TEXT,
    SEVERITY_COLOURS,
    SEVERITY_EMOJI,
    clip,
    header_block,
    inert,
    safe,
)
from chalicelib.slack.time_text import signin_time_text

CONSOLE = "https://console.aws.amazon.com"
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")


def _q(text: str) -> str:
    return quote(text, safe="")


def cloudtrail_history_url(signin: Mapping[str, str], since: datetime) -> str:
    """CloudTrail event history of this user name, from the sign-in's time on."""
    region = signin.get("region", "")
    region = region if _REGION.match(region) else "us-east-1"
    start = since.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        f"https://{region}.console.aws.amazon.com/cloudtrailv2/home?region={region}"
        f"#/events?Username={_q(signin.get('display_name', ''))}&StartTime={_q(start)}"
    )


def principal_page(signin: Mapping[str, str]) -> tuple[str, str]:
    """(label, URL) of the principal's page: IAM user, role, root or Identity Center."""
    kind = signin.get("principal_type", "")
    role = signin.get("role_name", "")
    if kind == "root":
        return "Root security credentials", f"{CONSOLE}/iam/home#/security_credentials"
    if kind == "iam_user":
        name = signin.get("display_name", "")
        return "IAM user", f"{CONSOLE}/iam/home#/users/details/{_q(name)}"
    if signin.get("federation") == "identity_center" or role.startswith("AWSReservedSSO_"):
        return "IAM Identity Center users", f"{CONSOLE}/singlesignon/home"
    if role:
        return "IAM role", f"{CONSOLE}/iam/home#/roles/details/{_q(role)}"
    return "IAM", f"{CONSOLE}/iam/home"


def runbook_steps(signin: Mapping[str, str]) -> str:
    kind = signin.get("principal_type", "")
    if kind == "root":
        revoke = "Change the root password and replace its MFA device; delete any root access key"
    elif kind == "iam_user":
        revoke = (
            "Disable the user's console password and access keys, and attach a deny-all "
            "policy to the user until you have reached the person"
        )
    else:
        revoke = (
            "Revoke the role's active sessions (IAM role > Revoke active sessions); in "
            "Identity Center, disable the user"
        )
    undo = []
    if signin.get("change"):  # an account change someone denies: take it back first
        undo = ["0. Undo the change (the password, MFA device or key it gave or took)."]
    return "\n".join(
        [
            *undo,
            f"1. {revoke}.",
            "2. Reset the password and MFA once you reach the person.",
            "3. Review what the session did, from the sign-in's time on (link above).",
        ]
    )


def what_was_asked(signin: Mapping[str, str]) -> str:
    """`sign-in`, or `change` for an account change (its item says what it changed)."""
    return "change" if signin.get("change") else "sign-in"


def _facts(signin: Mapping[str, str], settings: Settings, at: datetime) -> str:
    name = safe(signin.get("display_name", "") or "unknown", 200)
    account = safe(settings.account_label(signin.get("account_id", "")), 120)
    place = safe(where(signin.get("source_ip", "")), 80)
    # A record without a time has only `received_at`: never shown as the sign-in's time.
    recorded = bool(signin.get("event_time"))
    when = signin_time_text(at, recorded, settings)
    when = f"at {when}" if recorded else f"({when})"
    change = signin.get("change", "")
    if change:  # an account change: what it changed, as its alert says
        return f"*{name}* made a change in account {account} from {place} {when}: " + inert(
            change, 300
        )
    return f"*{name}* signed in to account {account} from {place} {when}"


def _message(
    severity: Severity,
    title: str,
    text: str,
    lead: str,
    signin: Mapping[str, str],
    settings: Settings,
    since: datetime,
) -> dict[str, Any]:
    label, page = principal_page(signin)
    links = (
        f"<{cloudtrail_history_url(signin, since)}|CloudTrail event history for this user "
        f"from the sign-in on> · <{page}|{label}>"
    )
    mention = settings.slack_escalation_mention
    details = [
        {"type": "section", "text": {"type": "mrkdwn", "text": clip(lead, MAX_SECTION_TEXT)}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "*Runbook*\n" + runbook_steps(signin)},
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": links}]},
    ]
    top_text = f"{mention} {text}" if mention else text
    return {
        "text": clip(top_text, MAX_NOTIFICATION_TEXT + len(mention)),
        "blocks": [header_block(f"{SEVERITY_EMOJI[severity]} {severity.name}: {title}")],
        "attachments": [{"color": SEVERITY_COLOURS[severity], "blocks": details}],
    }


def denial_message(
    signin: Mapping[str, str], user_id: str, settings: Settings, at: datetime
) -> dict[str, Any]:
    name = signin.get("display_name", "") or "unknown"
    what = what_was_asked(signin)
    text = (
        f"CRITICAL: {safe(name, 200)} {what} denied: <@{user_id}> says it was not them "
        f"(account {safe(signin.get('account_id', ''), 40)}, "
        f"IP {safe(signin.get('source_ip', ''), 64)})"
    )
    lead = (
        f":rotating_light: <@{user_id}> denies this {what}: {_facts(signin, settings, at)}. "
        "Treat the credentials as compromised."
    )
    title = f"{what} denied by the person it belongs to"
    return _message(Severity.CRITICAL, title, text, lead, signin, settings, at)


def silence_message(
    signin: Mapping[str, str], user_id: str, settings: Settings, at: datetime, within: str
) -> dict[str, Any]:
    try:
        severity = Severity[signin.get("severity", "")].raised()
    except KeyError:
        severity = Severity.HIGH
    name = signin.get("display_name", "") or "unknown"
    what = what_was_asked(signin)
    text = (
        f"{severity.name}: no answer from <@{user_id}> in {within} about the {what} of "
        f"{safe(name, 200)} (account {safe(signin.get('account_id', ''), 40)}, "
        f"IP {safe(signin.get('source_ip', ''), 64)})"
    )
    lead = (
        f":hourglass: No answer from <@{user_id}> in {within}: {_facts(signin, settings, at)}. "
        "Reach them another way; if it was not them, follow the runbook."
    )
    title = f"{what} not confirmed in time"
    return _message(severity, title, text, lead, signin, settings, at)
