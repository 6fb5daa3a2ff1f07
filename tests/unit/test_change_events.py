"""The declared account-change events: docs/account-changes.md's table is theirs, each
has a record, and what a record says about the change is read from the record alone,
never raising, whatever is missing."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from chalicelib.signin.change import ChangeKind
from chalicelib.signin.change_events import DECLARED_EVENTS
from chalicelib.signin.parse import parse_signin
from localdev.events import console_login
from tests.conftest import load_event
from tools.changes_table import changes_table

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
PAGE = Path(__file__).parents[2] / "docs" / "account-changes.md"
RECORDS = [event.record for event in DECLARED_EVENTS]


def test_the_docs_table_is_the_declarations_own() -> None:
    assert changes_table() in PAGE.read_text()


def test_each_event_is_declared_once() -> None:
    keys = [(event.event_source, event.event_name) for event in DECLARED_EVENTS]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("name", RECORDS)
def test_every_record_is_a_change(name: str) -> None:
    assert parse_signin(load_event(name), received_at=NOW).change is not None


def test_the_target_key_is_the_key_of_the_targets_own_signin() -> None:
    """bob's password reset and bob's sign-in name the same principal: the takeover
    correlation joins them on it."""
    reset = parse_signin(load_event("change_update_login_profile_other.json"), received_at=NOW)
    signin = parse_signin(
        console_login("b", NOW, user="bob", success=True, account="987654321"), received_at=NOW
    )
    assert reset.change is not None
    assert reset.change.target_key == signin.principal_key


def test_a_role_session_named_like_the_user_is_not_the_user() -> None:
    change = parse_signin(
        load_event("change_update_login_profile_role_session.json"), received_at=NOW
    ).change
    assert change is not None and not change.by_self


def test_a_root_only_event_by_someone_else_is_no_change() -> None:
    event = copy.deepcopy(load_event("change_root_create_access_key.json"))
    event["detail"]["userIdentity"] = load_event("change_create_login_profile.json")["detail"][
        "userIdentity"
    ]
    assert parse_signin(event, received_at=NOW).change is None


def _mutations(record: dict[str, Any]) -> list[dict[str, Any]]:
    """Each top-level field and each request parameter dropped, nulled or retyped."""
    out = []
    replacements: tuple[Any, ...] = (None, 7, [], "x" * 2000)
    parameters: tuple[Any, ...] = (None, {"a": 1}, 3)
    for field in list(record):
        for value in replacements:
            changed = copy.deepcopy(record)
            changed[field] = value
            out.append(changed)
        dropped = copy.deepcopy(record)
        dropped.pop(field)
        out.append(dropped)
    for field in list(record.get("requestParameters") or {}):
        for value in parameters:
            changed = copy.deepcopy(record)
            changed["requestParameters"][field] = value
            out.append(changed)
    return out


@pytest.mark.parametrize("name", RECORDS)
def test_no_mutation_of_a_record_makes_the_parser_raise(name: str) -> None:
    for record in _mutations(load_event(name)["detail"]):
        signin = parse_signin(record, received_at=NOW)
        if signin.change is not None:
            assert isinstance(signin.change.kind, ChangeKind)
            assert len(signin.change.target) <= 256
