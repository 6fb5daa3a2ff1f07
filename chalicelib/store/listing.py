"""What a sign-in item carries for `/recent-logins`: index keys, categories, day counter names."""

from __future__ import annotations

import itertools
from typing import Any

from chalicelib.judge.rules import is_alerting_event, lacks_mfa
from chalicelib.signin.parse import UNKNOWN_EVENT, Result, SignIn
from chalicelib.store.schema import CATEGORY_PARTITION_ATTRIBUTES, TOTAL_COUNTER, Category, day_of


def combination_name(categories: frozenset[Category]) -> str:
    return "_".join(sorted(category.value for category in categories))


def counter_names(categories: frozenset[Category]) -> list[str]:
    """The day counters one sign-in adds 1 to: the total, each of its categories and,
    when it has two or more, their combination, so `root failed` is counted exactly."""
    names = [TOTAL_COUNTER, *sorted(category.value for category in categories)]
    if len(categories) > 1:
        names.append(combination_name(categories))
    return names


# Every day counter there can be: the total, each category and each combination.
COUNTER_NAMES = (
    TOTAL_COUNTER,
    *(category.value for category in Category),
    *(
        combination_name(frozenset(combination))
        for size in range(2, len(Category) + 1)
        for combination in itertools.combinations(Category, size)
    ),
)


def hourly_name(hour: int, name: str) -> str:
    """The counter of one hour of the day (UTC): `h07_failed`. A window that starts
    mid-day is counted from its counters but for the part of one hour."""
    return f"h{hour:02d}_{name}"


def is_listed(signin: SignIn) -> bool:
    """A sign-in as a person means it: ConsoleLogin, an Identity Center authentication.
    Steps inside one (CheckMfa) and root password recovery are recorded, not listed."""
    if signin.is_root and signin.event_name == UNKNOWN_EVENT:
        return True  # may well be a sign-in: root is never left out
    return is_alerting_event(signin) and not signin.event_name.startswith("PasswordRecovery")


def categories_of(signin: SignIn) -> frozenset[Category]:
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


def listing_attributes(signin: SignIn) -> dict[str, Any]:
    """The index keys of a listed sign-in; empty for the steps inside a sign-in."""
    if not is_listed(signin):
        return {}
    day = day_of(signin.event_time)
    epoch = max(0, int(signin.event_time.timestamp()))
    item: dict[str, Any] = {
        "day": {"S": day},
        "at": {"S": f"{epoch:010d}#{signin.event_id}"},
        # Lower-cased once here, so the WHO filter is a case-insensitive `contains`.
        "who": {"S": f"{signin.display_name}\n{signin.arn}".lower()[:2048]},
    }
    categories = categories_of(signin)
    for category in categories:
        item[CATEGORY_PARTITION_ATTRIBUTES[category]] = {"S": day[:7]}
    if categories:
        # Projected into every index, so any category can filter another's index.
        item["categories"] = {"SS": sorted(category.value for category in categories)}
    return item


def signin_attributes(signin: SignIn) -> dict[str, Any]:
    """The sign-in as plain DynamoDB attribute values (strings and numbers only)."""
    values = {
        "event_id": signin.event_id,
        "event_time": signin.event_time.isoformat(),
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
    }
    item: dict[str, Any] = {name: {"S": value} for name, value in values.items() if value}
    item["epoch"] = {"N": str(int(signin.event_time.timestamp()))}
    if signin.problems:
        item["problems"] = {"SS": sorted(set(signin.problems))}
    item.update(listing_attributes(signin))
    return item
