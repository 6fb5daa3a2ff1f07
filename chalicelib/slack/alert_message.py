"""Block Kit messages for sign-in alerts.

Everything that comes from the event is hostile text chosen by whoever signs in: it is
escaped for mrkdwn (so `<!channel>` pings nobody and `<https://evil|AWS>` links nowhere)
and clipped to Slack's limits after escaping, never inside an entity.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from chalicelib.judge.rules import Verdict
from chalicelib.judge.rules.change_words import change_detail, target_words
from chalicelib.settings import Language, Settings
from chalicelib.signin.parse import Federation, Mfa, Result, SignIn
from chalicelib.signin.service import Service
from chalicelib.signin.words import mfa_text_words, mfa_words, name_detail, signin_principal
from chalicelib.slack.blocks import (
    MAX_FIELD_TEXT,
    MAX_FIELDS,
    MAX_NOTIFICATION_TEXT,
    MAX_SECTION_TEXT,
    SEVERITY_COLOURS,
    SEVERITY_EMOJI,
    code,
    defang,
    header_block,
    inert,
    safe,
)
from chalicelib.slack.time_text import signin_time_text

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
    trusted_network: str
    signed_in_to: str
    change: str
    # MFA in words, by Mfa value; English always starts with yes, no or unknown.
    mfa_words: dict[Mfa, str]
    # An Identity Center session's MFA (`IDENTITY_PROVIDER` is a SAML session's).
    mfa_at_identity_center: str


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
        trusted_network="trusted network",
        signed_in_to="Signed in to",
        change="Change",
        mfa_words={mfa: mfa_words(mfa) for mfa in Mfa},
        mfa_at_identity_center=mfa_words(Mfa.IDENTITY_PROVIDER, "", Federation.IDENTITY_CENTER),
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
        trusted_network="신뢰 네트워크",
        signed_in_to="로그인 대상",
        change="변경",
        mfa_words={
            Mfa.YES: "예",
            Mfa.NO: "아니요",
            Mfa.IDENTITY_PROVIDER: "알 수 없음 (ID 공급자에서 처리)",
            Mfa.NOT_RECORDED: "알 수 없음 (기록 없음)",
            Mfa.NOT_REACHED: "확인 전 실패 (비밀번호 실패)",
        },
        mfa_at_identity_center="알 수 없음 (Identity Center에서 처리)",
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


def mfa_text(signin: SignIn, labels: Labels) -> str:
    """`yes (SMS MFA)`, `no`, `unknown (at the identity provider)`, `unknown (not recorded)`:
    the words `/recent-logins` and the digest use too."""
    words = labels.mfa_words[signin.mfa]
    if signin.mfa is Mfa.IDENTITY_PROVIDER and signin.federation is Federation.IDENTITY_CENTER:
        words = labels.mfa_at_identity_center
    if signin.mfa is Mfa.YES and signin.mfa_type:
        words = f"{words} ({signin.mfa_type})"
    return words


def service_text(signin: SignIn, labels: Labels) -> str:
    """The service signed in to: `AWS console`, `Amazon WorkSpaces`, another's host."""
    target = signin.service
    return labels.unknown if target.service is Service.NOT_RECORDED else target.name


def principal_text(signin: SignIn, *, show: Callable[[str], str]) -> str:
    return signin_principal(signin, show=show)


def account_text(signin: SignIn, settings: Settings) -> str:
    """`Payments-Prod (111122223333), OU Workloads/Payments`; an account the trust
    check refused is never named: `999988887777, outside the organization`."""
    origin = signin.origin
    if not origin.origin.trusted:
        text = f"{signin.account_id}, outside the organization"
        if signin.claimed_account:
            text += f" (its record names {signin.claimed_account})"
        return text
    name = origin.name or settings.account_names.get(signin.account_id, "")
    text = f"{name} ({signin.account_id})" if name else signin.account_id
    return f"{text}, OU {origin.ou_path}" if origin.ou_path else text


def notification_text(signin: SignIn, verdict: Verdict) -> str:
    """The top-level `text`: what a phone shows. Always English keywords, as the
    README's alert text promises: SEVERITY, principal, result, MFA, IP. Event text
    has its URLs broken (a notification is not mrkdwn, so no code span)."""
    english = LABELS[Language.EN]
    mfa = mfa_text(signin, english)
    if signin.mfa is Mfa.NOT_REACHED:  # the keyword first, as the text promises
        mfa = mfa_text_words(signin.mfa, "", signin.federation)
    text = (
        f"{verdict.severity.name}: {verdict.title}: {principal_text(signin, show=defang)}, "
        f"result {result_word(signin, english)}, MFA {mfa}, "
        f"IP {defang(signin.source_ip)}, account {signin.account_id}"
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
    room = MAX_FIELD_TEXT - 40
    principal = principal_text(signin, show=lambda name: code(name, room // 3))
    detail = name_detail(signin.name_status)
    if detail:  # why it reads "unknown user": our words, not the event's
        principal = f"{principal}\n_{detail}_"
    # Names and the user agent are chosen by whoever signs in: code spans, verbatim.
    fields = [
        (labels.principal, principal),
        (labels.account, safe(account_text(signin, settings), room)),
        (labels.source_ip, inert(source_ip, room)),
        (labels.mfa, safe(mfa_text(signin, labels), room)),
        (labels.region, safe(signin.region, room)),
        (labels.result, inert(result, room)),
        # Named from LoginTo and the event; another service's host is event text.
        (labels.signed_in_to, inert(service_text(signin, labels), room)),
    ]
    field_blocks: list[dict[str, Any]] = [
        {"type": "mrkdwn", "text": f"*{label}*\n{value}", "verbatim": True}
        for label, value in fields
    ]
    # The time token is ours, not the event's: it must not be escaped.
    when = signin_time_text(signin.event_time, signin.time_recorded, settings)
    field_blocks.insert(2, {"type": "mrkdwn", "text": f"*{labels.time}*\n{when}"})
    details: list[dict[str, Any]] = [{"type": "section", "fields": field_blocks[:MAX_FIELDS]}]
    if signin.change is not None:  # what changed and whose: the caller is the Principal
        what = f"{signin.event_name} ({signin.change.event_source}) on "
        what += target_words(signin.change)
        if change_detail(signin):
            what += f", {change_detail(signin)}"
        details.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"*{labels.change}*\n"
                    + inert(what, MAX_SECTION_TEXT - len(labels.change) - 4),
                    "verbatim": True,
                },
            }
        )
    if signin.user_agent:
        details.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"*{labels.user_agent}*\n"
                    + code(signin.user_agent, MAX_SECTION_TEXT - len(labels.user_agent) - 4),
                    "verbatim": True,
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
                    "text": f"*{labels.why}*: "
                    + inert(why, MAX_SECTION_TEXT - len(labels.why) - 4),
                    "verbatim": True,
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
