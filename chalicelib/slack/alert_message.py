"""Block Kit messages for sign-in alerts.

Everything that comes from the event is hostile text chosen by whoever signs in: it is
escaped for mrkdwn (so `<!channel>` pings nobody and `<https://evil|AWS>` links nowhere)
and clipped to Slack's limits after escaping, never inside an entity.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from chalicelib.judge.rules import Verdict
from chalicelib.settings import Language, Settings
from chalicelib.signin.parse import Federation, Mfa, Result, SignIn
from chalicelib.slack.blocks import (
    MAX_FIELD_TEXT,
    MAX_FIELDS,
    MAX_NOTIFICATION_TEXT,
    MAX_SECTION_TEXT,
    SEVERITY_COLOURS,
    SEVERITY_EMOJI,
    header_block,
    safe,
    slack_date,
)

_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")


@dataclass(frozen=True)
class Labels:
    principal: str
    account: str
    time: str
    source_ip: str
    mfa: str
    region: str
    result: str
    user_agent: str
    why: str
    event: str
    open_in_cloudtrail: str
    success: str
    failure: str
    unknown: str
    yes: str
    no: str
    via_saml: str
    via_identity_center: str
    trusted_network: str


LABELS = {
    Language.EN: Labels(
        principal="Principal",
        account="Account",
        time="Time",
        source_ip="Source IP",
        mfa="MFA",
        region="Region",
        result="Result",
        user_agent="User agent",
        why="Why",
        event="Event",
        open_in_cloudtrail="Open in CloudTrail",
        success="success",
        failure="failure",
        unknown="unknown",
        yes="yes",
        no="no",
        via_saml="via SAML",
        via_identity_center="via IAM Identity Center",
        trusted_network="trusted network",
    ),
    Language.KO: Labels(
        principal="사용자",
        account="계정",
        time="시각",
        source_ip="접속 IP",
        mfa="MFA",
        region="리전",
        result="결과",
        user_agent="사용자 에이전트",
        why="사유",
        event="이벤트",
        open_in_cloudtrail="CloudTrail에서 보기",
        success="성공",
        failure="실패",
        unknown="알 수 없음",
        yes="예",
        no="아니요",
        via_saml="SAML 경유",
        via_identity_center="IAM Identity Center 경유",
        trusted_network="신뢰 네트워크",
    ),
}


def cloudtrail_url(signin: SignIn) -> str:
    region = signin.region if _REGION.match(signin.region) else "us-east-1"
    return (
        f"https://{region}.console.aws.amazon.com/cloudtrailv2/home?region={region}"
        f"#/events/{quote(signin.event_id, safe='')}"
    )


def result_word(signin: SignIn, labels: Labels) -> str:
    return {
        Result.SUCCESS: labels.success,
        Result.FAILURE: labels.failure,
        Result.UNKNOWN: labels.unknown,
    }[signin.outcome]


def mfa_word(signin: SignIn, labels: Labels) -> str:
    return {Mfa.YES: labels.yes, Mfa.NO: labels.no, Mfa.UNKNOWN: labels.unknown}[signin.mfa]


def principal_text(signin: SignIn, labels: Labels) -> str:
    name = signin.display_name
    if signin.role_name:
        name = f"{name} ({signin.role_name})"
    if signin.federation is Federation.SAML:
        name = f"{name} {labels.via_saml}"
    elif signin.federation is Federation.IDENTITY_CENTER:
        name = f"{name} {labels.via_identity_center}"
    return name


def notification_text(signin: SignIn, verdict: Verdict) -> str:
    """The top-level `text`: what a phone shows. Always English keywords, as the
    README's alert text promises: SEVERITY, principal, result, MFA, IP."""
    english = LABELS[Language.EN]
    text = (
        f"{verdict.severity.name}: {verdict.title}: {signin.display_name}, "
        f"result {result_word(signin, english)}, MFA {mfa_word(signin, english)}, "
        f"IP {signin.source_ip}, account {signin.account_id}"
    )
    return safe(text, MAX_NOTIFICATION_TEXT)


def build_message(
    signin: SignIn,
    verdict: Verdict,
    settings: Settings,
    extra_blocks: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """`extra_blocks` follow the header: the "asked <@U...>" line of a question."""
    labels = LABELS[settings.language]
    result = result_word(signin, labels)
    if signin.failure_reason:
        result = f"{result}: {signin.failure_reason}"
    source_ip = signin.source_ip
    if verdict.trusted_network:
        source_ip = f"{source_ip} ({labels.trusted_network})"
    mfa = mfa_word(signin, labels)
    if signin.mfa_type:
        mfa = f"{mfa} ({signin.mfa_type})"

    fields = [
        (labels.principal, principal_text(signin, labels)),
        (labels.account, settings.account_label(signin.account_id)),
        (labels.source_ip, source_ip),
        (labels.mfa, mfa),
        (labels.region, signin.region),
        (labels.result, result),
    ]
    field_blocks = [
        {"type": "mrkdwn", "text": f"*{label}*\n{safe(value, MAX_FIELD_TEXT - len(label) - 4)}"}
        for label, value in fields
    ]
    # The time token is ours, not the event's: it must not be escaped.
    field_blocks.insert(
        2,
        {
            "type": "mrkdwn",
            "text": f"*{labels.time}*\n{slack_date(signin.event_time, settings.display_timezone)}",
        },
    )
    details: list[dict[str, Any]] = [{"type": "section", "fields": field_blocks[:MAX_FIELDS]}]
    if signin.user_agent:
        details.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"*{labels.user_agent}*\n"
                    + safe(signin.user_agent, MAX_SECTION_TEXT - len(labels.user_agent) - 4),
                },
            }
        )
    if verdict.reasons:
        why = ", ".join(verdict.reasons)
        details.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"*{labels.why}*: " + safe(why, MAX_SECTION_TEXT - len(labels.why) - 4),
                },
            }
        )
    details.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"{labels.event} `{safe(signin.event_id, 200)}` · "
                    f"<{cloudtrail_url(signin)}|{labels.open_in_cloudtrail}>",
                }
            ],
        }
    )
    header = f"{SEVERITY_EMOJI[verdict.severity]} {verdict.severity.name}: {verdict.title}"
    return {
        "text": notification_text(signin, verdict),
        "blocks": [header_block(header), *extra_blocks],
        "attachments": [{"color": SEVERITY_COLOURS[verdict.severity], "blocks": details}],
    }
