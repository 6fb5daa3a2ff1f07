"""How each kind of setting is read from its text: one parser per shape, each raising
`ConfigError` with the setting's name (the message never repeats a secret's value)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from enum import StrEnum

from chalicelib.secret_shapes import SECRET_SHAPES
from chalicelib.severity import Severity


class ConfigError(ValueError):
    """A setting has a value the app cannot use; the message names the setting."""


class Language(StrEnum):
    EN = "en"
    KO = "ko"


def split(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.replace("\n", ",").split(",") if part.strip())


def account_names(raw: str) -> dict[str, str]:
    """`111122223333=prod,444455556666=staging` -> {"111122223333": "prod", ...}."""
    names: dict[str, str] = {}
    for pair in split(raw):
        account_id, sep, name = pair.partition("=")
        if not sep or not account_id.strip() or not name.strip():
            raise ConfigError(f"ACCOUNT_NAMES: expected ID=NAME, got {pair!r}")
        names[account_id.strip()] = name.strip()
    return names


def networks(raw: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    try:
        return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in split(raw))
    except ValueError as error:
        raise ConfigError(f"TRUSTED_CIDRS: {error}") from None


def severity_channels(raw: str) -> dict[Severity, str]:
    """`CRITICAL=C0SEC,HIGH=C0SEC` -> channel per severity for the Web API."""
    channels: dict[Severity, str] = {}
    for pair in split(raw):
        level, sep, channel = pair.partition("=")
        if not sep or not channel.strip():
            raise ConfigError(f"SLACK_CHANNEL_BY_SEVERITY: expected LEVEL=CHANNEL, got {pair!r}")
        channels[Severity.parse(level, setting="SLACK_CHANNEL_BY_SEVERITY")] = channel.strip()
    return channels


def account_channels(raw: str) -> tuple[tuple[str, str], ...]:
    """`Payments-*=C0PAY,ou:Sandbox/*=C0SANDBOX,111122223333=C0PROD` -> ordered (glob,
    channel): globs on the account id, its Organizations name, or (`ou:`) its OU path."""
    routes: list[tuple[str, str]] = []
    for pair in split(raw):
        pattern, sep, channel = pair.rpartition("=")
        if not sep or not pattern.strip() or not channel.strip() or " " in channel.strip():
            raise ConfigError(f"SLACK_CHANNEL_BY_ACCOUNT: expected GLOB=CHANNEL, got {pair!r}")
        if pattern.strip().lower() == "ou:":
            raise ConfigError(f"SLACK_CHANNEL_BY_ACCOUNT: `ou:` needs an OU path, got {pair!r}")
        routes.append((pattern.strip(), channel.strip()))
    return tuple(routes)


# A Slack user, as `<@U...>` needs it: never from event data, so checked when read.
SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")
# The one broadcast the app may send: a user group, a user, @here or @channel.
_MENTION = re.compile(
    r"^<(!subteam\^[A-Z0-9]{2,20}(\|[^<>]{0,80})?|@[UW][A-Z0-9]{2,20}|!here|!channel)>$"
)


def user_map(raw: str) -> tuple[tuple[str, str], ...]:
    """`arn:aws:iam::*:user/alice=U0ALICE,*@example.com=U0OPS` -> ordered (glob, user)."""
    pairs: list[tuple[str, str]] = []
    for pair in split(raw):
        pattern, sep, user_id = pair.rpartition("=")
        if not sep or not pattern.strip() or not SLACK_USER_ID.match(user_id.strip()):
            raise ConfigError(f"SLACK_USER_MAP: expected GLOB=UXXXXXXXX, got {pair!r}")
        pairs.append((pattern.strip(), user_id.strip()))
    return tuple(pairs)


def mention(raw: str) -> str:
    if raw and not _MENTION.match(raw):
        raise ConfigError(
            "SLACK_ESCALATION_MENTION: expected <!subteam^S...>, <@U...>, <!here> or "
            f"<!channel>, got {raw!r}"
        )
    return raw


def positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}: expected a whole number, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name}: must be positive, got {value}")
    return value


def at_most(value: int, limit: int, name: str) -> int:
    if value > limit:
        raise ConfigError(f"{name}: at most {limit}, got {value}")
    return value


def positive_float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}: expected a number, got {raw!r}") from None
    if not value > 0:
        raise ConfigError(f"{name}: must be positive, got {raw}")
    return value


def secret(env: Mapping[str, str], name: str) -> str | None:
    """A secret setting, checked for its shape; the error never repeats the value."""
    value = env.get(name, "").strip()
    if not value:
        return None
    problem = SECRET_SHAPES[name](value)
    if problem:
        raise ConfigError(f"{name}: {problem}")
    return value


def flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}: expected true or false, got {raw!r}")


def hour(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 0 <= int(raw) <= 23:
        raise ConfigError(f"{name}: expected an hour 0-23, got {raw!r}")
    return int(raw)


class Weekday(StrEnum):
    """A day of the week, as an operator writes it; `number` is Python's (Monday 0)."""

    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"

    @property
    def number(self) -> int:
        return list(Weekday).index(self)


def weekday(env: Mapping[str, str], name: str, default: Weekday | None) -> Weekday | None:
    """A day of the week by name (`monday`, `Mon`: three letters at least); `off` or
    `none`: None."""
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("off", "none"):
        return None
    matches = [day for day in Weekday if len(raw) >= 3 and day.value.startswith(raw)]
    if len(matches) != 1:
        raise ConfigError(
            f"{name}: expected a day of the week (monday ... sunday) or off, got {raw!r}"
        )
    return matches[0]


def timezone(raw: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"DISPLAY_TIMEZONE: unknown IANA time zone {raw!r}") from None
    return raw
