"""Which service a sign-in was to, named from the record's `LoginTo` and its event.

AWS sign-in signs people in to more than the console: the AWS access portal (IAM
Identity Center), the Amazon WorkSpaces client, the Transfer Family web app, and other
applications, all with the same event names (`ConsoleLogin`, `UserAuthentication`).
`additionalEventData.LoginTo` says where the person was going; `ConsoleLogin` itself
says "the console". Nothing here claims more than that: a `UserAuthentication` to the
WorkSpaces client is a WorkSpaces sign-in, not an Identity Center one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

CONSOLE_LOGIN = "ConsoleLogin"
# The console's hosts in each partition (aws, aws-us-gov, aws-cn), with or without a
# region in front (`us-east-2.console.aws.amazon.com`).
_CONSOLE_HOSTS = ("console.aws.amazon.com", "console.amazonaws-us-gov.com", "console.amazonaws.cn")
# The access portal: `d-1234567890.awsapps.com/start` (or a chosen subdomain), and the
# newer `ssoins-....portal.us-east-1.app.aws`.
_PORTAL_SUFFIXES = (".awsapps.com", ".awsapps.cn")
# The WorkSpaces client signs in through `https://skylight.local` (the AWS WorkSpaces
# Administration Guide's sign-in events); its web client is on amazonworkspaces.com.
_WORKSPACES_HOSTS = ("skylight.local",)
_WORKSPACES_SUFFIXES = (".amazonworkspaces.com",)
# A Transfer Family web app's default access endpoint:
# `webapp-0123456789abcdef0.transfer-webapp.us-east-2.on.aws`.
_TRANSFER_MARK = ".transfer-webapp."
MAX_HOST = 253  # the longest DNS name


class Service(StrEnum):
    AWS_CONSOLE = "aws_console"
    ACCESS_PORTAL = "access_portal"
    WORKSPACES = "workspaces"
    TRANSFER_WEB_APP = "transfer_web_app"
    OTHER = "other"  # named by its host
    NOT_RECORDED = "not_recorded"


_NAMES = {
    Service.AWS_CONSOLE: "AWS console",
    Service.ACCESS_PORTAL: "AWS access portal",
    Service.WORKSPACES: "Amazon WorkSpaces",
    Service.TRANSFER_WEB_APP: "Transfer Family web app",
}


@dataclass(frozen=True)
class SignInTarget:
    service: Service
    host: str = ""  # LoginTo's host, when it has one

    @property
    def name(self) -> str:
        """`AWS console`, `AWS access portal`, `Amazon WorkSpaces`, `Transfer Family
        web app`, the host of any other service (event text), or `not recorded`."""
        if self.service is Service.OTHER:
            return self.host
        return _NAMES.get(self.service, "not recorded")


def login_host(login_to: str) -> str:
    """LoginTo's host, lower case; empty when it is not a URL with one."""
    if "://" not in login_to:
        return ""
    try:
        host = urlsplit(login_to.strip()).hostname or ""
    except ValueError:
        return ""
    return host[:MAX_HOST]


def _is_under(host: str, names: tuple[str, ...]) -> bool:
    return any(host == name or host.endswith("." + name) for name in names)


def is_access_portal(host: str) -> bool:
    return host.endswith(_PORTAL_SUFFIXES) or (".portal." in host and host.endswith(".app.aws"))


def service_of(event_name: str, login_to: str) -> SignInTarget:
    """The service signed in to: LoginTo's host when it is one AWS names, else the
    console for a `ConsoleLogin`, else LoginTo's host, else not recorded."""
    host = login_host(login_to)
    if _is_under(host, _CONSOLE_HOSTS):
        return SignInTarget(Service.AWS_CONSOLE, host)
    if is_access_portal(host):
        return SignInTarget(Service.ACCESS_PORTAL, host)
    if host in _WORKSPACES_HOSTS or host.endswith(_WORKSPACES_SUFFIXES):
        return SignInTarget(Service.WORKSPACES, host)
    if _TRANSFER_MARK in host and host.endswith(".on.aws"):
        return SignInTarget(Service.TRANSFER_WEB_APP, host)
    if event_name == CONSOLE_LOGIN:
        return SignInTarget(Service.AWS_CONSOLE, host)
    if host:
        return SignInTarget(Service.OTHER, host)
    return SignInTarget(Service.NOT_RECORDED)
