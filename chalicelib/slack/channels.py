"""Which channel an alert goes to (Web API only: a webhook posts where it was made):
one decision, a value, from the severity and the account.

Precedence, first that applies:
1. a CRITICAL alert whose severity has a channel (`SLACK_CHANNEL_BY_SEVERITY`) goes
   there: whoever answers CRITICALs sees every one, whichever account;
2. the first `SLACK_CHANNEL_BY_ACCOUNT` glob that matches the account: its id, its name
   (any case) or, written `ou:Sandbox/*`, its OU path. Only a trusted account is
   routed so: an outsider's event never reaches a member team's channel by a name;
3. the severity's channel, for the other severities;
4. `SLACK_CHANNEL` (the transport's own), shown as None.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from enum import StrEnum

from chalicelib.settings import Settings
from chalicelib.severity import Severity
from chalicelib.signin.origin import AccountOrigin

OU_PREFIX = "ou:"


class RouteKind(StrEnum):
    CRITICAL_SEVERITY = "critical_severity"
    ACCOUNT = "account"
    SEVERITY = "severity"
    DEFAULT = "default"


@dataclass(frozen=True)
class ChannelChoice:
    channel: str | None  # None: the transport's SLACK_CHANNEL
    kind: RouteKind
    pattern: str = ""  # the account glob that chose it


def account_matches(pattern: str, account_id: str, origin: AccountOrigin) -> bool:
    if pattern.lower().startswith(OU_PREFIX):
        wanted = pattern[len(OU_PREFIX) :].strip("/").lower()
        return bool(origin.ou_path) and fnmatch.fnmatchcase(origin.ou_path.lower(), wanted)
    names = [account_id, origin.name.lower()] if origin.name else [account_id]
    return any(fnmatch.fnmatchcase(value, pattern.lower()) for value in names)


def channel_for(
    severity: Severity, account_id: str, origin: AccountOrigin, settings: Settings
) -> ChannelChoice:
    by_severity = settings.slack_channel_by_severity.get(severity)
    if severity is Severity.CRITICAL and by_severity:
        return ChannelChoice(by_severity, RouteKind.CRITICAL_SEVERITY)
    if origin.origin.trusted:
        for pattern, channel in settings.slack_channel_by_account:
            if account_matches(pattern, account_id, origin):
                return ChannelChoice(channel, RouteKind.ACCOUNT, pattern)
    if by_severity:
        return ChannelChoice(by_severity, RouteKind.SEVERITY)
    return ChannelChoice(None, RouteKind.DEFAULT)
