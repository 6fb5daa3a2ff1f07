"""What a sign-in item carries for `/recent-logins`: index keys, categories, day counter names."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, TypeVar

from chalicelib.judge.rules import is_alerting_event, lacks_mfa
from chalicelib.judge.rules.change_words import change_title
from chalicelib.signin.parse import (
    UNKNOWN_EVENT,
    UNKNOWN_USER,
    Federation,
    Mfa,
    NameStatus,
    PrincipalType,
    Result,
    SignIn,
)
from chalicelib.signin.times import parse_time
from chalicelib.store.attributes import bounded
from chalicelib.store.indexes import (
    ACCOUNT_PARTITION_ATTRIBUTE,
    CATEGORY_ACCOUNT_ATTRIBUTES,
    CATEGORY_NAME_ATTRIBUTES,
    CATEGORY_PARTITION_ATTRIBUTES,
    LISTED,
    NAME_PARTITION_ATTRIBUTE,
    NAME_STATUS_ATTRIBUTE,
    SIGNIN_PARTITION_ATTRIBUTE,
)
from chalicelib.store.schema import (
    EPOCH_ATTRIBUTE,
    RECEIVED_AT_ATTRIBUTE,
    SCHEMA_ATTRIBUTE,
    SCHEMA_VERSION,
    TOTAL_COUNTER,
    Category,
    combination_name,
    day_of,
)

_E = TypeVar("_E", bound=StrEnum)


def counter_names(categories: frozenset[Category]) -> list[str]:
    """The day counters one sign-in adds 1 to: the total, each of its categories and,
    when it has two or more, their combination, so `root failed` is counted exactly."""
    # An account change counts as a change only: never in the sign-ins' total.
    total = [] if Category.CHANGES in categories else [TOTAL_COUNTER]
    names = [*total, *sorted(category.value for category in categories)]
    if len(categories) > 1:
        names.append(combination_name(categories))
    return names


def hourly_name(hour: int, name: str) -> str:
    """The counter of one hour of the day (UTC): `h07_failed`. A window that starts
    mid-day is counted from its counters but for the part of one hour."""
    return f"h{hour:02d}_{name}"


def is_listed(signin: SignIn) -> bool:
    """A sign-in as a person means it: ConsoleLogin, an Identity Center authentication.
    Steps inside one (CheckMfa) and root password recovery are recorded, not listed."""
    if signin.is_root and signin.event_name == UNKNOWN_EVENT:
        return True  # may well be a sign-in: root is never left out
    if signin.change is not None:
        return True  # listed under `changes`
    return is_alerting_event(signin) and not signin.event_name.startswith("PasswordRecovery")


def in_directory(signin: SignIn) -> bool:
    """Listed and a sign-in: the principal directory and the day's busiest principals
    hold sign-ins only (a change is listed under `changes`)."""
    return is_listed(signin) and signin.change is None


def categories_of(signin: SignIn) -> frozenset[Category]:
    if signin.change is not None:
        return frozenset({Category.CHANGES})
    found = set()
    if signin.outcome is Result.FAILURE:
        found.add(Category.FAILED)
    if signin.is_root:
        found.add(Category.ROOT)
    # The one definition of "without MFA" (MFA "no"), so `nomfa`, the alert titles and
    # the digest count the same sign-ins; MFA at the identity provider is never "no".
    if lacks_mfa(signin):
        found.add(Category.NOMFA)
    return frozenset(found)


def principal_name(signin: SignIn) -> str:
    """The `by_principal_name` partition: the display name as people type it."""
    return bounded(signin.display_name.lower()) or "unknown user"


def listing_attributes(signin: SignIn) -> dict[str, Any]:
    """The index keys of a listed sign-in; empty for the steps inside a sign-in."""
    if not is_listed(signin):
        return {}
    day = day_of(signin.event_time)
    epoch = max(0, int(signin.event_time.timestamp()))
    name = {"S": principal_name(signin)}
    account = {"S": signin.account_id or "unknown"}
    item: dict[str, Any] = {
        "day": {"S": day},
        "at": {"S": f"{epoch:010d}#{signin.event_id}"},
        # Lower-cased once here, so the WHO filter is a case-insensitive `contains`.
        "who": {"S": who_text(signin)},
        "principal": {"S": bounded(signin.principal_key)},
    }
    if signin.change is None:  # a change is in its category's indexes only
        item[SIGNIN_PARTITION_ATTRIBUTE] = {"S": LISTED}
        item[NAME_PARTITION_ATTRIBUTE] = name
        item[ACCOUNT_PARTITION_ATTRIBUTE] = account
    categories = categories_of(signin)
    for category in categories:
        item[CATEGORY_PARTITION_ATTRIBUTES[category]] = {"S": LISTED}
        item[CATEGORY_NAME_ATTRIBUTES[category]] = name
        item[CATEGORY_ACCOUNT_ATTRIBUTES[category]] = account
    if categories:
        # Projected into every index, so any category can filter another's index.
        item["categories"] = {"SS": sorted(category.value for category in categories)}
    return item


def who_text(signin: SignIn) -> str:
    """What WHO is matched against: the display name and the ARN, lower case."""
    return f"{signin.display_name}\n{signin.arn}".lower()[:2048]


def signin_attributes(signin: SignIn) -> dict[str, Any]:
    """The sign-in as plain DynamoDB attribute values (strings and numbers only)."""
    # A record without a time is never stored as if its arrival were the sign-in's
    # time: it has `received_at` and no `event_time` nor `epoch` (its `at` key still
    # holds the arrival, so it sorts where it was received).
    when = "event_time" if signin.time_recorded else RECEIVED_AT_ATTRIBUTE
    values = {
        "event_id": signin.event_id,
        when: signin.event_time.isoformat(),
        "event_name": signin.event_name,
        "account_id": signin.account_id,
        "region": signin.region,
        "principal_type": signin.principal_type.value,
        "display_name": signin.display_name,
        "arn": signin.arn,
        "principal_id": signin.principal_id,
        "role_name": signin.role_name,
        "source_ip": signin.source_ip,
        "user_agent": signin.user_agent[:1024],
        "outcome": signin.outcome.value,
        "failure_reason": signin.failure_reason,
        "mfa": signin.mfa.value,
        "mfa_type": signin.mfa_type,
        "mfa_source": signin.mfa_source,
        "federation": signin.federation.value,
        "saml_provider": signin.saml_provider,
        "login_url": signin.login_url[:512],
        # Whose it is, as the trust check decided (signin/origin.py), and what the
        # envelope said: an outsider's event stays recognisable in the ledger.
        "origin": signin.origin.origin.value,
        "sent_by": signin.sent_by,
        "claimed_account": signin.claimed_account,
        # What an account change changed, as its alert's title says it.
        "change": change_title(signin) if signin.change is not None else "",
        # Written on every item, so that its absence means an item written before it
        # existed (see `stored_name_status`).
        NAME_STATUS_ATTRIBUTE: signin.name_status.value,
    }
    item: dict[str, Any] = {name: {"S": value} for name, value in values.items() if value}
    if signin.time_recorded:
        item[EPOCH_ATTRIBUTE] = {"N": str(int(signin.event_time.timestamp()))}
    item[SCHEMA_ATTRIBUTE] = {"N": str(SCHEMA_VERSION)}
    if signin.problems:
        item["problems"] = {"SS": sorted(set(signin.problems))}
    item.update(listing_attributes(signin))
    return item


def signin_from_item(item: Mapping[str, Any]) -> SignIn | None:
    """The sign-in an event item records (`signin_attributes` read back), so that
    `manage.py reindex` can rebuild what any schema derives from it. None when the
    item has no readable event time."""

    def text(name: str) -> str:
        value = item.get(name, {}).get("S", "")
        return value if isinstance(value, str) else ""

    event_time = parse_time(text("event_time"))
    received_at = parse_time(text(RECEIVED_AT_ATTRIBUTE))
    moment = event_time or received_at
    if moment is None or not text("event_id"):
        return None
    return SignIn(
        event_id=text("event_id"),
        event_time=moment,
        time_recorded=event_time is not None,
        event_name=text("event_name"),
        account_id=text("account_id"),
        region=text("region"),
        principal_type=_member(PrincipalType, text("principal_type"), PrincipalType.UNKNOWN),
        display_name=text("display_name"),
        arn=text("arn"),
        principal_id=text("principal_id"),
        role_name=text("role_name"),
        source_ip=text("source_ip"),
        user_agent=text("user_agent"),
        outcome=_member(Result, text("outcome"), Result.UNKNOWN),
        failure_reason=text("failure_reason"),
        mfa=_member(Mfa, text("mfa"), Mfa.UNKNOWN),
        mfa_type=text("mfa_type"),
        federation=_member(Federation, text("federation"), Federation.NONE),
        saml_provider=text("saml_provider"),
        login_url=text("login_url"),
        problems=tuple(item.get("problems", {}).get("SS", ())),
        mfa_source=text("mfa_source"),
        name_status=stored_name_status(text(NAME_STATUS_ATTRIBUTE), text("display_name")),
    )


def stored_name_status(value: str, display_name: str) -> NameStatus:
    """An item's `name_status`. Items written before it existed stored the placeholder
    `UNKNOWN_USER` for both a hidden name and a missing one, and cannot tell them
    apart: those read "name not recorded", as they always did."""
    try:
        return NameStatus(value)
    except ValueError:
        if not display_name or display_name == UNKNOWN_USER:
            return NameStatus.NOT_RECORDED
        return NameStatus.RECORDED


def _member(kind: type[_E], value: str, default: _E) -> _E:
    try:
        return kind(value)
    except ValueError:
        return default
