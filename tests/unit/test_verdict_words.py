"""MFA as a fact with a source, the principal's kind in words, and event text that no
Slack client can turn into a link: the pure pieces every message shares."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.settings import Settings
from chalicelib.signin.parse import Federation, Mfa, NameStatus, PrincipalType, parse_signin
from chalicelib.signin.words import (
    mfa_keyword,
    mfa_text_words,
    mfa_words,
    name_detail,
    principal_words,
)
from chalicelib.slack.blocks import code, defang
from chalicelib.slack.digest_message import digest_message
from chalicelib.store.day_tally import DaySummary
from chalicelib.storms.decision import Dimension, Opener, Subject, WindowCount
from chalicelib.storms.messages import burst_message
from tests.conftest import load_event

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
SESSION = {"sessionContext": {"attributes": {"mfaAuthenticated": "false"}}}


def parsed(name: str, **changes: Any) -> tuple[Mfa, str, str]:
    event = copy.deepcopy(load_event(name))
    event["detail"].update(changes)
    signin = parse_signin(event, received_at=NOW)
    return signin.mfa, signin.mfa_type, signin.mfa_source


IAM = "iam_user_success_no_mfa.json"


@pytest.mark.parametrize(
    ("name", "changes", "fact"),
    [
        (IAM, {}, (Mfa.NO, "", "MFAUsed")),
        (IAM, {"additionalEventData": {"MFAUsed": "YES"}}, (Mfa.YES, "", "MFAUsed")),
        (IAM, {"additionalEventData": {"MfaType": "TOTP"}}, (Mfa.YES, "TOTP", "MfaType")),
        (IAM, {"additionalEventData": None, "serviceEventDetails": {"MfaType": "Hardware MFA"}},
         (Mfa.YES, "Hardware MFA", "MfaType")),
        (IAM, {"additionalEventData": {"MFAIdentifier": "arn:aws:iam::1:mfa/a"}},
         (Mfa.YES, "arn:aws:iam::1:mfa/a", "MFAIdentifier")),
        # An explicit MFAUsed wins over a named device.
        (IAM, {"additionalEventData": {"MFAUsed": "No", "MfaType": "SMS MFA"}},
         (Mfa.NO, "", "MFAUsed")),
        (IAM, {"additionalEventData": None}, (Mfa.NOT_RECORDED, "", "")),
        (IAM, {"additionalEventData": {}, "userIdentity": {"type": "IAMUser", **SESSION}},
         (Mfa.NO, "", "mfaAuthenticated")),
        ("sso_success.json", {}, (Mfa.IDENTITY_PROVIDER, "", "Identity Center")),
        ("saml_iam_user_success.json", {}, (Mfa.IDENTITY_PROVIDER, "", "SAML")),
        ("assumed_role_no_mfa.json", {}, (Mfa.NO, "", "MFAUsed")),
        ("identity_center_user_authentication.json", {},
         (Mfa.IDENTITY_PROVIDER, "", "Identity Center")),
        ("identity_center_user_authentication.json",
         {"additionalEventData": {"CredentialType": "TOTP"}}, (Mfa.YES, "TOTP", "CredentialType")),
    ],
)  # fmt: skip
def test_mfa_is_what_the_record_says_with_its_source(
    name: str, changes: dict[str, Any], fact: tuple[Mfa, str, str]
) -> None:
    assert parsed(name, **changes) == fact


@pytest.mark.parametrize(
    ("value", "federation", "mfa"),
    [
        ("yes", "none", Mfa.YES),
        ("no", "none", Mfa.NO),
        ("unknown", "none", Mfa.NOT_RECORDED),
        ("identity_provider", "saml", Mfa.IDENTITY_PROVIDER),
        ("no", "identity_center", Mfa.IDENTITY_PROVIDER),  # written before the fact existed
        ("garbage", "none", Mfa.NOT_RECORDED),
    ],
)
def test_ledger_values_read_back_as_the_same_fact(value: str, federation: str, mfa: Mfa) -> None:
    assert Mfa.of_ledger(value, federation) is mfa


@pytest.mark.parametrize("mfa", list(Mfa))
def test_mfa_words_start_with_the_promised_keyword(mfa: Mfa) -> None:
    assert mfa_text_words(mfa, "TOTP").split(" ")[0] == mfa_keyword(mfa)
    assert mfa_keyword(mfa) in ("yes", "no", "unknown")
    if mfa is not Mfa.NOT_REACHED:
        assert mfa_words(mfa, "TOTP") == mfa_text_words(mfa, "TOTP")


def test_a_password_that_failed_says_mfa_was_not_reached() -> None:
    assert mfa_words(Mfa.NOT_REACHED) == "not reached (the password failed)"
    assert mfa_text_words(Mfa.NOT_REACHED) == "unknown (not reached: the password failed)"


KINDS = st.sampled_from(list(PrincipalType))
FEDERATIONS = st.sampled_from(list(Federation))
NAMES = st.text(min_size=0, max_size=30)


@given(KINDS, KINDS, NAMES, NAMES, NAMES, NAMES, FEDERATIONS, FEDERATIONS)
def test_no_two_kinds_of_principal_read_the_same(
    kind_a: PrincipalType,
    kind_b: PrincipalType,
    name_a: str,
    name_b: str,
    role_a: str,
    role_b: str,
    fed_a: Federation,
    fed_b: Federation,
) -> None:
    if kind_a is kind_b:
        return
    show = code  # as in every mrkdwn message: names are code spans
    words_a = principal_words(kind_a, name_a, role_a, fed_a, show=show)
    words_b = principal_words(kind_b, name_b, role_b, fed_b, show=show)
    assert words_a != words_b


def test_principal_words_name_the_kind() -> None:
    assert principal_words(PrincipalType.ROOT, "root") == "root user"
    assert principal_words(PrincipalType.IAM_USER, "root") == "IAM user root"
    assert (
        principal_words(PrincipalType.ASSUMED_ROLE, "alice", "Admin", Federation.IDENTITY_CENTER)
        == "role Admin via Identity Center, session alice"
    )
    assert principal_words(PrincipalType.IAM_USER, "") == "IAM user (name not recorded)"
    assert (
        principal_words(PrincipalType.IAM_USER, "x", name_status=NameStatus.NOT_RECORDED)
        == "IAM user (name not recorded)"
    )


def test_a_name_aws_hid_reads_unknown_user_whatever_the_kind_claims() -> None:
    for kind in PrincipalType:
        if kind is PrincipalType.ROOT:
            continue
        words = principal_words(kind, "unknown user", name_status=NameStatus.HIDDEN)
        assert words == "unknown user"
    assert name_detail(NameStatus.HIDDEN) == "name hidden by AWS: not a user of this account"
    assert name_detail(NameStatus.NOT_RECORDED) == name_detail(NameStatus.RECORDED) == ""


def test_the_decision_is_the_status_not_the_text() -> None:
    """A user really named `unknown user` is named; only the status hides a name."""
    assert principal_words(PrincipalType.IAM_USER, "unknown user") == "IAM user unknown user"


@given(KINDS, NAMES, NAMES, FEDERATIONS)
def test_no_recorded_name_reads_like_a_hidden_one(
    kind: PrincipalType, name: str, role: str, federation: Federation
) -> None:
    assert principal_words(kind, name, role, federation, show=code) != "unknown user"


@given(st.text(max_size=300), st.integers(min_value=3, max_value=200))
def test_a_code_span_stays_one_closed_span_without_links(text: str, limit: int) -> None:
    span = code(text, limit)
    if not text:
        assert span == ""
        return
    assert span.startswith("`") and span.endswith("`") and span.count("`") == 2
    assert len(span) <= limit
    assert "://" not in span and "<" not in span and ">" not in span


def test_defang_breaks_schemes_and_www_only() -> None:
    assert defang("verify at https://evil.example/aws-login") == (
        "verify at https[:]//evil.example/aws-login"
    )
    assert defang("www.evil.example") == "www[.]evil.example"
    assert defang("Mozilla/5.0 (Windows NT 10.0; Win64; x64)") == (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
    )


PHISH = "https://evil.example/aws-login"


def test_burst_messages_show_attacker_text_unlinkable() -> None:
    subject = Subject(Dimension.PRINCIPAL, "1", "k", f"IAM user {PHISH}")
    count = WindowCount(subject, 20, 1_800_000_000 - 240, 1_800_000_000, ((PHISH, 20),))
    message = burst_message(count, Opener(PHISH, "identity_provider", PHISH), Settings())

    raw = json.dumps(message)
    assert "https://evil" not in raw
    assert "MFA unknown (at the identity provider)" in message["text"]
    target = message["attachments"][0]["blocks"][0]["fields"][0]
    assert target == {
        "type": "mrkdwn",
        "text": "*Target*\n`IAM user https[:]//evil.example/aws-login`",
        "verbatim": True,
    }
    assert message["blocks"][1]["text"]["verbatim"] is True


def test_digest_lines_show_principal_names_unlinkable() -> None:
    summary = DaySummary(
        date(2026, 11, 26),
        totals=dict.fromkeys(("signins", "success", "failure", "unknown", "root"), 1)
        | dict.fromkeys(("without_mfa", "new_ip", "new_country", "impossible_travel"), 0)
        | {"bursts": 1, "other_events": 0},
        busiest=((f"{PHISH} (1)", 3, 1),),
        bursts=(f"possible brute force on IAM user {PHISH}",),
        places=(f"new IP for {PHISH}",),
        notable=((1_795_650_000, f"watched: IAM user {PHISH}"),),
    )

    message = digest_message(summary)

    assert "https://evil" not in json.dumps(message)
    lists = [block["text"] for block in message["blocks"][2:]]
    assert all(text["verbatim"] is True and "https[:]//evil" in text["text"] for text in lists)
