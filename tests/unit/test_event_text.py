"""GIVEN event text that is not valid Unicode WHEN the parser reads the record THEN it
is replaced once, at parse time, and `problems` names each field."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.signin.parse import parse_signin
from chalicelib.signin.text import MAX_NAMED_FIELDS, REPLACEMENT, clean_event, valid_text
from tests.conftest import load_event

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def test_valid_text_replaces_lone_surrogates_and_joins_pairs() -> None:
    assert valid_text("plain") == "plain"
    assert valid_text("caf\u00e9") == "caf\u00e9"
    assert valid_text("a\ud800b") == f"a{REPLACEMENT}b"
    assert valid_text("\udc00") == REPLACEMENT
    assert valid_text("\ud83d\ude00") == "\U0001f600"  # a pair is the character it encodes
    assert valid_text("\ude00\ud83d") == REPLACEMENT * 2  # the wrong order is not a pair


def test_a_clean_event_comes_back_as_it_was() -> None:
    event = load_event("root_success_no_mfa.json")
    clean = clean_event(event)
    assert clean.event is event
    assert clean.changed == ()
    assert clean.problems == ()


def test_keys_values_and_list_items_are_cleaned_and_named() -> None:
    event = load_event("root_success_no_mfa.json")
    event["detail"]["userAgent"] = "Mozilla\ud800"
    event["detail"]["userIdentity"]["type\udfff"] = "x"
    event["resources"] = ["ok", "bad\udc00"]
    clean = clean_event(event)
    assert set(clean.changed) == {
        "detail.userAgent",
        f"detail.userIdentity.type{REPLACEMENT}",
        "resources[1]",
    }
    assert clean.event["detail"]["userAgent"] == f"Mozilla{REPLACEMENT}"
    assert event["detail"]["userAgent"] == "Mozilla\ud800"  # the caller's event is left


def test_many_bad_fields_are_named_up_to_a_limit_then_counted() -> None:
    event = {f"field{n}": "\ud800" for n in range(MAX_NAMED_FIELDS + 5)}
    problems = clean_event(event).problems
    assert len(problems) == MAX_NAMED_FIELDS + 1
    assert problems[-1] == "text not valid Unicode in 5 more fields"


def test_the_sign_in_says_which_field_was_replaced() -> None:
    event = load_event("hidden_user_failure.json")
    event["detail"]["sourceIPAddress"] = "192.0.2.101\ud800"
    event["detail"]["errorMessage"] = "\udc80No username found"
    signin = parse_signin(event, received_at=NOW)
    assert signin.source_ip == f"192.0.2.101{REPLACEMENT}"
    assert signin.failure_reason == f"{REPLACEMENT}No username found"
    assert "text not valid Unicode in detail.sourceIPAddress" in signin.problems
    assert "text not valid Unicode in detail.errorMessage" in signin.problems


def test_a_record_without_an_event_id_still_gets_its_fingerprint() -> None:
    event = load_event("root_failure.json")
    del event["detail"]["eventID"]
    del event["id"]
    event["detail"]["userAgent"] = "\ud800"
    signin = parse_signin(event, received_at=NOW)
    assert signin.event_id.startswith("sha256-")
