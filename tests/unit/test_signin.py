"""GIVEN sign-in records of every shape WHEN parsed THEN one typed SignIn, never an error."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.signin.parse import (
    UNKNOWN_USER,
    Federation,
    Mfa,
    NameStatus,
    PrincipalType,
    Result,
    fingerprint,
    parse_signin,
)
from chalicelib.signin.times import parse_time
from tests.conftest import fixture_records, load_event

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def parse(name: str):
    return parse_signin(load_event(name), received_at=NOW)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2018-04-05T15:03:42Z", datetime(2018, 4, 5, 15, 3, 42, tzinfo=UTC)),
        ("2023-01-10 20:10:41", datetime(2023, 1, 10, 20, 10, 41, tzinfo=UTC)),
        ("2024-06-02 19:41:40.123456789", datetime(2024, 6, 2, 19, 41, 40, 123456, tzinfo=UTC)),
        ("2024-06-02T19:41:40.5+09:00", datetime(2024, 6, 2, 10, 41, 40, 500000, tzinfo=UTC)),
    ],
)
def test_cloudtrail_times_parse_timezone_aware(raw: str, expected: datetime) -> None:
    parsed = parse_time(raw)
    assert parsed == expected
    assert parsed is not None and parsed.tzinfo is not None


@pytest.mark.parametrize("raw", ["", "...", "redacted", "2024-13-45T99:00:00Z"])
def test_unreadable_times_are_none(raw: str) -> None:
    assert parse_time(raw) is None


def test_root_envelope() -> None:
    signin = parse("root_success_no_mfa.json")
    assert signin.principal_type is PrincipalType.ROOT
    assert signin.display_name == "root"
    assert (signin.outcome, signin.mfa) == (Result.SUCCESS, Mfa.NO)
    assert signin.account_id == "123456789112"
    assert signin.region == "global"
    assert signin.source_ip == "67.172.93.116"
    assert signin.problems == ()


def test_iam_user_with_mfa_device() -> None:
    signin = parse("iam_user_success_mfa.json")
    assert signin.principal_type is PrincipalType.IAM_USER
    assert signin.display_name == "homer_simpson"
    assert signin.mfa is Mfa.YES
    assert signin.mfa_type == "arn:aws:iam::12345:mfa/homer_simpson"
    assert signin.login_url == "https://console.aws.amazon.com/console/home"


def test_failure_keeps_the_reason() -> None:
    signin = parse("iam_user_failure.json")
    assert signin.outcome is Result.FAILURE
    assert signin.failure_reason == "Failed authentication"


def test_hidden_user_name_reads_unknown_user() -> None:
    signin = parse("hidden_user_failure.json")
    assert signin.display_name == UNKNOWN_USER
    assert signin.name_status is NameStatus.HIDDEN
    assert signin.failure_reason == "No username found in supplied account"


def test_a_record_without_any_name_is_not_a_hidden_one() -> None:
    event = load_event("iam_user_failure.json")
    for field in ("userName", "arn", "principalId"):
        event["detail"]["userIdentity"].pop(field, None)
    signin = parse_signin(event, received_at=NOW)
    assert signin.display_name == UNKNOWN_USER
    assert signin.name_status is NameStatus.NOT_RECORDED
    assert parse("iam_user_failure.json").name_status is NameStatus.RECORDED


def test_sso_session_is_identity_center_with_session_name() -> None:
    signin = parse("sso_success.json")
    assert signin.principal_type is PrincipalType.ASSUMED_ROLE
    assert signin.display_name == "foo@bar.com"
    assert signin.role_name == "AWSReservedSSO_developer_admin_asdf"
    assert signin.federation is Federation.IDENTITY_CENTER


def test_saml_provider_marks_federation() -> None:
    signin = parse("saml_iam_user_success.json")
    assert signin.federation is Federation.SAML
    assert signin.saml_provider == "arn:aws:iam::123456789012:saml-provider/Okta"


def test_identity_center_outcome_comes_from_service_event_details() -> None:
    failed = parse("identity_center_verification_failure.json")
    ok = parse("identity_center_user_authentication.json")
    assert failed.outcome is Result.FAILURE
    assert ok.outcome is Result.SUCCESS
    assert ok.principal_type is PrincipalType.IDENTITY_CENTER_USER
    assert ok.display_name == "redacted@example.com"


@pytest.mark.parametrize(("raw", "expected"), [("Yes", Mfa.YES), ("YES", Mfa.YES), ("No", Mfa.NO)])
def test_mfa_is_case_insensitive(raw: str, expected: Mfa) -> None:
    event = load_event("iam_user_success_no_mfa.json")
    event["detail"]["additionalEventData"]["MFAUsed"] = raw
    assert parse_signin(event, received_at=NOW).mfa is expected


def test_a_failed_password_never_reached_mfa_but_root_says_what_its_record_says() -> None:
    failed = parse("iam_user_failure.json")  # MFAUsed: No, a user who may well have MFA
    hidden = parse("hidden_user_failure.json")
    root = parse("root_failure.json")  # after a CheckMfa, a wrong code reads the same
    assert (failed.mfa, failed.mfa_source) == (Mfa.NOT_REACHED, "MFAUsed")
    assert hidden.mfa is Mfa.NOT_REACHED
    assert root.mfa is Mfa.NO
    assert parse("iam_user_success_no_mfa.json").mfa is Mfa.NO


def test_a_failed_iam_signin_is_the_same_principal_as_its_success() -> None:
    failed = load_event("iam_user_failure.json")  # no ARN in a failure's record
    success = load_event("iam_user_success_no_mfa.json")
    for event in (failed, success):
        event["detail"]["userIdentity"]["userName"] = "alice"
        event["detail"]["userIdentity"]["accountId"] = "111122223333"
        event["detail"]["recipientAccountId"] = event["account"] = "111122223333"
    success["detail"]["userIdentity"]["arn"] = "arn:aws:iam::111122223333:user/ops/alice"
    keys = {parse_signin(event, received_at=NOW).principal_key for event in (failed, success)}
    assert keys == {"arn:aws:iam::111122223333:user/alice"}
    assert parse("hidden_user_failure.json").principal_key.endswith("/unknown user")


def test_missing_event_id_gets_a_stable_fingerprint_and_a_problem() -> None:
    event = load_event("iam_user_failure.json")
    del event["detail"]["eventID"], event["id"]
    first = parse_signin(event, received_at=NOW)
    again = parse_signin(event, received_at=NOW)
    assert first.event_id == again.event_id == fingerprint(event)
    assert "no eventID" in first.problems


def test_null_blocks_and_garbage_do_not_raise() -> None:
    for event in ({}, {"detail": None}, {"detail": {"userIdentity": None}}, [1, 2], None):
        signin = parse_signin(event, received_at=NOW)  # type: ignore[arg-type]
        assert signin.event_time == NOW
        assert signin.problems


def test_every_fixture_parses() -> None:
    records = fixture_records()
    parsed = [parse_signin(record["payload"], received_at=NOW) for record in records]
    assert len(parsed) == 121
    assert all(signin.event_time.tzinfo is not None for signin in parsed)


def test_oversized_fields_are_capped_and_a_huge_event_id_is_hashed() -> None:
    event = load_event("iam_user_failure.json")
    event["detail"]["eventID"] = "e" * 5000
    event["detail"]["userIdentity"]["userName"] = "u" * 100_000
    signin = parse_signin(event, received_at=NOW)
    assert len(signin.display_name) == 1024
    assert signin.event_id.startswith("sha256-") and len(signin.event_id) < 128
    assert "eventID longer than 128 characters" in signin.problems
