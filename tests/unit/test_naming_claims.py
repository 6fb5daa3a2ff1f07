"""GIVEN every public record in tests/events and every generated record shape (type
missing, `Unknown` or each kind; each ARN shape; `onBehalfOf`; LoginTo values; eventTime
missing) WHEN each is parsed, judged and written as an alert (English and Korean) and as
a `/recent-logins` line THEN each claim the text makes is checked against the record
itself, read here independently of the parser:

- the principal's kind named is the one the record's evidence gives (`userIdentity.type`,
  else the ARN, else `onBehalfOf` with an `identityStoreArn`);
- "Identity Center" appears only when the record says so, "identity provider" only when
  it names a SAML provider;
- the MFA keyword is the record's: `yes` for its yes, `no` only for its no outside SAML
  and Identity Center, `unknown (at Identity Center)` for an Identity Center session;
- the service named is LoginTo's (or the console for a `ConsoleLogin`);
- the time shown is the record's, or "time not recorded (received HH:MM)" with the
  envelope's time, else the arrival.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.confirm.escalation_message import denial_message
from chalicelib.judge import rules
from chalicelib.recent_logins.queries import Entry
from chalicelib.recent_logins.replies import entry_line
from chalicelib.settings import Language, Settings
from chalicelib.signin.parse import parse_signin
from chalicelib.signin.times import parse_time
from chalicelib.slack.alert_message import build_message
from chalicelib.slack.blocks import inert
from chalicelib.store.listing import signin_attributes
from tests.conftest import EVENTS, fixture_records

ARRIVAL = datetime(2026, 12, 7, 9, 41, 5, tzinfo=UTC)
ENGLISH = Settings()
KOREAN = replace(Settings(), language=Language.KO)
DATE_TOKEN = re.compile(r"<!date\^(-?\d+)\^")
SAML_PROVIDER = "arn:aws:iam::111122223333:saml-provider/Okta"
STORE = "arn:aws:identitystore::111122223333:identitystore/d-1234567890"
MFA_CREDENTIALS = {"TOTP", "SMARTCARD", "WEBAUTHN", "FIDO", "SMS", "EMAIL_OTP"}


# --- what the record says, read without the parser --------------------------------------


def record_of(event: Any) -> Mapping[str, Any]:
    if (
        isinstance(event, Mapping)
        and isinstance(event.get("detail"), Mapping)
        and "eventName" not in event
    ):
        return block(event["detail"])
    return event if isinstance(event, Mapping) else {}


def block(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def text_of(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def arn_resource(arn: str) -> str:
    parts = arn.split(":", 5)
    ok = len(parts) == 6 and parts[0] == "arn" and parts[2] in ("iam", "sts")
    return parts[5] if ok else ""


def expected_kind(identity: Mapping[str, Any]) -> str:
    """The words every message leads the principal with, from the record's evidence."""
    stated = {
        "root": "root user",
        "iamuser": "IAM user",
        "assumedrole": "role",
        "federateduser": "federated user",
        "identitycenteruser": "Identity Center user",
    }.get(text_of(identity.get("type")).lower())
    if stated:
        return stated
    resource = arn_resource(text_of(identity.get("arn")))
    if resource == "root":
        return "root user"
    for prefix, words in (
        ("assumed-role/", "role"),
        ("federated-user/", "federated user"),
        ("user/", "IAM user"),
    ):
        if resource.startswith(prefix) and len(resource) > len(prefix):
            return words
    on_behalf = block(identity.get("onBehalfOf"))
    if text_of(on_behalf.get("userId")) and ":identitystore:" in text_of(
        on_behalf.get("identityStoreArn")
    ):
        return "Identity Center user"
    return "principal of unknown type"


def login_host(record: Mapping[str, Any]) -> str:
    login_to = text_of(block(record.get("additionalEventData")).get("LoginTo"))
    if "://" not in login_to:
        return ""
    try:
        return (urlsplit(login_to).hostname or "")[:253]
    except ValueError:
        return ""


def is_portal(host: str) -> bool:
    return host.endswith((".awsapps.com", ".awsapps.cn")) or (
        ".portal." in host and host.endswith(".app.aws")
    )


def expected_service(record: Mapping[str, Any]) -> str:
    host = login_host(record)
    consoles = ("console.aws.amazon.com", "console.amazonaws-us-gov.com", "console.amazonaws.cn")
    if any(host == name or host.endswith("." + name) for name in consoles):
        return "AWS console"
    if is_portal(host):
        return "AWS access portal"
    if host == "skylight.local" or host.endswith(".amazonworkspaces.com"):
        return "Amazon WorkSpaces"
    if ".transfer-webapp." in host and host.endswith(".on.aws"):
        return "Transfer Family web app"
    if text_of(record.get("eventName")) == "ConsoleLogin":
        return "AWS console"
    return host or "unknown"


def says_saml(record: Mapping[str, Any]) -> bool:
    return bool(text_of(block(record.get("additionalEventData")).get("SamlProviderArn")))


def says_identity_center(record: Mapping[str, Any]) -> bool:
    identity = block(record.get("userIdentity"))
    issuer = block(block(identity.get("sessionContext")).get("sessionIssuer"))
    arn = text_of(identity.get("arn"))
    return (
        expected_kind(identity) == "Identity Center user"
        or "assumed-role/AWSReservedSSO_" in arn
        or "/aws-reserved/sso.amazonaws.com/" in arn
        or (expected_kind(identity) == "role" and "AWSReservedSSO_" in str(issuer.get("userName")))
        or is_portal(login_host(record))
    )


def says_mfa_yes(record: Mapping[str, Any]) -> bool:
    extra = block(record.get("additionalEventData"))
    used = text_of(extra.get("MFAUsed")).lower()
    credentials = {part.strip().upper() for part in text_of(extra.get("CredentialType")).split(",")}
    attributes = block(
        block(block(record.get("userIdentity")).get("sessionContext")).get("attributes")
    )
    device = text_of(extra.get("MfaType")) or text_of(extra.get("MFAIdentifier"))
    device = device or text_of(block(record.get("serviceEventDetails")).get("MfaType"))
    return (
        used in ("yes", "true")
        or (used not in ("no", "false") and bool(device))
        or bool(credentials & MFA_CREDENTIALS)
        or text_of(attributes.get("mfaAuthenticated")).lower() == "true"
    )


def says_mfa_no(record: Mapping[str, Any]) -> bool:
    extra = block(record.get("additionalEventData"))
    attributes = block(
        block(block(record.get("userIdentity")).get("sessionContext")).get("attributes")
    )
    return text_of(extra.get("MFAUsed")).lower() in ("no", "false") or (
        text_of(attributes.get("mfaAuthenticated")).lower() == "false"
    )


def received_time(event: Any) -> datetime:
    envelope = event if isinstance(event, Mapping) and record_of(event) is not event else {}
    return parse_time(text_of(envelope.get("time"))) or ARRIVAL


# --- the checks ---------------------------------------------------------------------------


def check_claims(event: Any) -> None:
    record = record_of(event)
    identity = block(record.get("userIdentity"))
    signin = parse_signin(event, received_at=ARRIVAL)
    verdict = rules.evaluate(signin, ENGLISH)
    message = build_message(signin, verdict, ENGLISH)
    korean = json.dumps(build_message(signin, verdict, KOREAN), ensure_ascii=False)
    fields = dict(
        field["text"][1:].split("*\n", 1)
        for field in message["attachments"][0]["blocks"][0]["fields"]
    )
    text = message["text"]
    item = signin_attributes(signin)
    # Only a sign-in `/recent-logins` lists has a line (its item has the `at` key).
    line = entry_line(Entry.from_item(item), ENGLISH) if "at" in item else ""
    everything = json.dumps(message) + "\n" + line
    hidden = text_of(identity.get("userName")) == "HIDDEN_DUE_TO_SECURITY_REASONS"

    # The principal's kind, in the alert and in the listing.
    kind = expected_kind(identity)
    principal = fields["Principal"]
    if kind == "role":
        assert principal.startswith(("role ", "a role")), (principal, identity)
    elif not (hidden and kind != "root user"):
        assert principal.startswith(kind), (principal, identity)
        assert not line or f"*{kind}" in line, (line, identity)

    # "Identity Center" and "identity provider" only when the record says so.
    if "Identity Center" in everything or "Identity Center" in korean:
        assert says_identity_center(record), (everything, record)
    if "identity provider" in everything or "ID 공급자" in korean:
        assert says_saml(record), (everything, record)

    # MFA as the record says it.
    keyword = re.search(r", MFA (yes|no|unknown)\b", text)
    assert keyword, text
    if says_mfa_yes(record):
        assert keyword.group(1) == "yes", (text, record)
    elif keyword.group(1) == "no":
        assert says_mfa_no(record) and not says_saml(record), (text, record)
        assert not says_identity_center(record), (text, record)
    elif says_saml(record):
        assert fields["MFA"] == "unknown (at the identity provider)", (fields, record)
    elif says_identity_center(record):
        assert fields["MFA"] == "unknown (at Identity Center)", (fields, record)
        assert not line or "MFA unknown (at Identity Center)" in line, line
    if not says_mfa_yes(record) and (says_saml(record) or says_identity_center(record)):
        assert ", MFA no," not in text and " · MFA no · " not in line, (text, line)

    # The service signed in to.
    assert fields["Signed in to"] == inert(expected_service(record)), (fields, record)

    # The time: the record's, or marked "not recorded" with when it was received.
    recorded = parse_time(text_of(record.get("eventTime")))
    for shown in (fields["Time"], line) if line else (fields["Time"],):
        if recorded is not None:
            token = DATE_TOKEN.search(shown)
            assert token and int(token.group(1)) == int(recorded.timestamp()), (shown, record)
        else:
            clock = received_time(event).strftime("%H:%M")
            assert f"time not recorded (received {clock} UTC)" in shown, (shown, event)
            assert "<!date^" not in shown.split("·")[0], shown
    if recorded is None:
        assert f"시각 기록 없음 (수신 {received_time(event):%H:%M} UTC)" in korean


def all_fixture_events() -> list[Any]:
    events: list[Any] = [record["payload"] for record in fixture_records()]
    for path in sorted(EVENTS.glob("*.json")):
        if path.name != "slack-signature-vector.json":
            events.append(json.loads(path.read_text()))
    return events


def test_every_fixture_says_only_what_its_record_says() -> None:
    events = all_fixture_events()
    assert len(events) > 130
    for event in events:
        check_claims(event)


# --- generated shapes -------------------------------------------------------------------

NAMES = st.sampled_from(["alice", "bob@example.com", "Admin", "root", "o'brien"])
TYPES = st.sampled_from(
    [None, "Unknown", "", "Root", "IAMUser", "AssumedRole", "FederatedUser",
     "IdentityCenterUser", "AWSService"]
)  # fmt: skip


@st.composite
def arns(draw: st.DrawFn) -> str | None:
    name = draw(NAMES)
    shape = draw(st.sampled_from(range(8)))
    return [
        None,
        "",
        "arn:aws:iam::111122223333:root",
        f"arn:aws:iam::111122223333:user/{name}",
        f"arn:aws:iam::111122223333:user/division/{name}",
        f"arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/{name}",
        f"arn:aws:sts::111122223333:assumed-role/Deploy/{name}",
        f"arn:aws:sts::111122223333:federated-user/{name}",
    ][shape]


LOGIN_TO = st.sampled_from(
    [None, "", "https://console.aws.amazon.com/console/home?state=hashArgs%23",
     "https://us-east-2.console.aws.amazon.com/s3/", "https://d-1234567890.awsapps.com/start/",
     "https://ssoins-7223c3f4b0b0.portal.us-east-1.app.aws/", "https://skylight.local",
     "https://webapp-0123456789abcdef0.transfer-webapp.us-east-2.on.aws/",
     "https://grafana.example.com/login", "not a url", "https://a&b.example/",
     "https://console.aws.amazon.com@evil.example/", "https://console.aws.amazon.com.evil.example/",
     "https://skylight.local.evil.example/", "https://D-1234567890.AWSAPPS.COM:443/start/"]
)  # fmt: skip


@st.composite
def shapes(draw: st.DrawFn) -> Any:
    identity: dict[str, Any] = {"accountId": "111122223333"}
    for key, value in (("type", draw(TYPES)), ("arn", draw(arns()))):
        if value is not None:
            identity[key] = value
    if draw(st.booleans()):
        identity["userName"] = draw(NAMES)
    behalf = draw(st.sampled_from(["none", "store", "no-store"]))
    if behalf != "none":
        identity["onBehalfOf"] = {"userId": "94d00cd8-e9e6-4810-b177-b08e84775435"}
        if behalf == "store":
            identity["onBehalfOf"]["identityStoreArn"] = STORE
    if draw(st.booleans()):
        identity["sessionContext"] = {
            "attributes": {"mfaAuthenticated": draw(st.sampled_from(["true", "false"]))}
        }
    extra: dict[str, Any] = {}
    for key, values in (
        ("LoginTo", LOGIN_TO),
        ("MFAUsed", st.sampled_from([None, "Yes", "YES", "No"])),
        ("CredentialType", st.sampled_from([None, "PASSWORD", "PASSWORD,TOTP", "EXTERNAL_IDP"])),
        ("SamlProviderArn", st.sampled_from([None, SAML_PROVIDER])),
    ):
        value = draw(values)
        if value is not None:
            extra[key] = value
    name = draw(st.sampled_from(["ConsoleLogin", "UserAuthentication", "CredentialVerification"]))
    outcome = draw(st.sampled_from(["Success", "Failure"]))
    record: dict[str, Any] = {
        "eventName": name,
        "eventSource": "signin.amazonaws.com",
        "eventID": "generated-shape",
        "recipientAccountId": "111122223333",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7",
        "userIdentity": identity,
        "additionalEventData": extra,
        "serviceEventDetails" if name != "ConsoleLogin" else "responseElements": {name: outcome},
    }
    offset = draw(st.integers(min_value=-3 * 86400, max_value=0))
    moment = ARRIVAL + timedelta(seconds=offset)
    when = draw(st.sampled_from(["recorded", "missing", "unreadable"]))
    if when == "recorded":
        record["eventTime"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    elif when == "unreadable":
        record["eventTime"] = "yesterday"
    if not draw(st.booleans()):
        return record
    envelope: dict[str, Any] = {"source": "aws.signin", "detail": record}
    if draw(st.booleans()):
        envelope["time"] = (moment + timedelta(seconds=40)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return envelope


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shapes())
def test_every_generated_shape_says_only_what_its_record_says(event: Any) -> None:
    check_claims(event)


def test_an_escalation_never_shows_the_arrival_as_the_sign_in_time() -> None:
    """A "was this you?" escalation quotes the stored sign-in: one whose record had no
    time has only `received_at`, and says so."""
    stored = {"display_name": "alice", "account_id": "111122223333", "source_ip": "198.51.100.7"}
    without = json.dumps(
        denial_message({**stored, "received_at": ARRIVAL.isoformat()}, "U1", ENGLISH, ARRIVAL)
    )
    with_time = json.dumps(
        denial_message({**stored, "event_time": ARRIVAL.isoformat()}, "U1", ENGLISH, ARRIVAL)
    )

    assert "from 198.51.100.7 (time not recorded (received 09:41 UTC))" in without
    assert f"from 198.51.100.7 at <!date^{int(ARRIVAL.timestamp())}^" in with_time


def test_a_look_alike_login_to_is_named_by_its_real_host() -> None:
    """LoginTo is a URL whoever signs in can shape: only its real host names a service."""
    for login_to, named in (
        ("https://console.aws.amazon.com@evil.example/", "evil.example"),
        ("https://console.aws.amazon.com.evil.example/", "console.aws.amazon.com.evil.example"),
        ("https://skylight.local.evil.example/", "skylight.local.evil.example"),
        ("https://D-1234567890.AWSAPPS.COM:443/start/", "AWS access portal"),
    ):
        record = {
            "eventName": "UserAuthentication",
            "eventTime": "2026-12-07T09:40:00Z",
            "userIdentity": {"type": "Unknown"},
            "additionalEventData": {"LoginTo": login_to},
            "serviceEventDetails": {"UserAuthentication": "Success"},
        }
        signin = parse_signin(record, received_at=ARRIVAL)
        message = build_message(signin, rules.evaluate(signin, ENGLISH), ENGLISH)
        fields = dict(
            field["text"][1:].split("*\n", 1)
            for field in message["attachments"][0]["blocks"][0]["fields"]
        )
        assert fields["Signed in to"] == inert(named), login_to
        assert ("Identity Center" in json.dumps(message)) == (named == "AWS access portal")
