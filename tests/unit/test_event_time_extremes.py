"""GIVEN any eventTime, however absurd (an offset of 99 hours, year 1, year 9999) WHEN a
sign-in is parsed, its message built and its ledger item made THEN nothing raises and
every TTL lies where DynamoDB acts on it.

A record that raises fails again on every Lambda retry and every redrive: the alert is
lost for good. So these are properties over every string and every moment.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from chalicelib.judge.rules import evaluate
from chalicelib.settings import Settings
from chalicelib.signin.parse import SignIn, parse_signin
from chalicelib.signin.times import parse_time
from chalicelib.slack.alert_message import build_message
from chalicelib.slack.blocks import slack_date
from chalicelib.store.attributes import MAX_TTL_EPOCH, MIN_TTL_EPOCH, TTL_ATTRIBUTE, expires_at
from chalicelib.store.ledger import Ledger
from tests.conftest import load_event

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
# Zones at the ends of the offset range, and the one from the report.
ZONES = ("UTC", "America/Los_Angeles", "Asia/Seoul", "Pacific/Kiritimati", "Etc/GMT+12")
RECORD = load_event("root_success_no_mfa.json")

# Strings that look like CloudTrail's times, with every field allowed to be out of range.
_two = st.integers(0, 99).map(lambda n: f"{n:02d}")
iso_like = st.builds(
    lambda y, mo, d, h, mi, s, frac, off: f"{y:04d}-{mo}-{d}T{h}:{mi}:{s}{frac}{off}",
    st.integers(0, 9999),
    _two,
    _two,
    _two,
    _two,
    _two,
    st.sampled_from(["", ".5", ".123456789", ".000"]),
    st.one_of(
        st.sampled_from(["", "Z", " Z", "+00:00"]),
        st.builds(
            lambda sign, h, m, colon: f"{sign}{h}{colon}{m}",
            st.sampled_from("+-"),
            _two,
            _two,
            st.sampled_from(["", ":"]),
        ),
    ),
)
any_event_time = st.one_of(iso_like, st.text(max_size=40))
any_moment = st.datetimes(
    min_value=datetime(1, 1, 1),
    max_value=datetime(9999, 12, 31, 23, 59, 59),
    timezones=st.just(UTC),
)
REPORTED = (
    "2024-01-01T00:00:00+99:00",
    "2024-01-01T00:00:00+00:99",
    "0001-01-01T05:00:00Z",
    "0001-01-01T00:00:00+05:00",
    "9999-11-01T00:00:00Z",
    "9999-12-31T23:59:59-05:00",
    "9999-12-31T23:59:59Z",
)


def _ttl_in_range(value: dict[str, str], *, floor: int = MIN_TTL_EPOCH) -> bool:
    return floor <= int(value["N"]) <= MAX_TTL_EPOCH


def _record_with_time(raw: str) -> dict[str, Any]:
    record = dict(RECORD)
    record["detail"] = {**RECORD["detail"], "eventTime": raw}
    record["time"] = raw
    return record


@given(any_event_time)
@settings(max_examples=400, deadline=None)
def test_parse_time_never_raises_and_answers_in_utc_or_not_at_all(raw: str) -> None:
    moment = parse_time(raw)
    assert moment is None or moment.utcoffset() == timedelta(0)


def test_parse_time_refuses_offsets_and_moments_utc_cannot_hold() -> None:
    for raw in (*REPORTED[:2], "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"):
        assert parse_time(raw) is None, raw
    assert parse_time("0001-01-01T05:00:00Z") == datetime(1, 1, 1, 5, tzinfo=UTC)
    assert parse_time("2024-01-01T09:30:00+09:30") == datetime(2024, 1, 1, tzinfo=UTC)


@given(any_event_time)
@settings(max_examples=200, deadline=None)
def test_any_event_time_parses_to_a_signin_that_names_its_problem(raw: str) -> None:
    signin = parse_signin(_record_with_time(raw), received_at=NOW)
    if parse_time(raw) is None:
        assert signin.event_time == NOW
        assert any("eventTime" in problem for problem in signin.problems)
    else:
        assert signin.event_time == parse_time(raw)


def _signin_at(moment: datetime) -> SignIn:
    signin = parse_signin(RECORD, received_at=NOW)
    return dataclasses.replace(signin, event_time=moment)


@given(any_moment, st.sampled_from(ZONES), st.sampled_from(["en", "ko"]))
@example(datetime(1, 1, 1, 5, tzinfo=UTC), "America/Los_Angeles", "en")
@example(datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC), "Pacific/Kiritimati", "ko")
@settings(max_examples=300, deadline=None)
def test_the_message_is_built_for_any_moment_in_any_zone(
    moment: datetime, zone: str, language: str
) -> None:
    config = Settings.from_env({"DISPLAY_TIMEZONE": zone, "MESSAGE_LANGUAGE": language})
    signin = _signin_at(moment)
    message = build_message(signin, evaluate(signin, config), config)
    assert "CRITICAL" in message["text"]
    token = slack_date(moment, zone)
    assert token.startswith(f"<!date^{int(moment.timestamp())}^")


@given(any_moment, st.integers(1, 3650))
@settings(max_examples=300, deadline=None)
def test_the_ledger_item_is_built_for_any_moment_with_its_ttl_in_range(
    moment: datetime, retention_days: int
) -> None:
    ledger = Ledger(None, "table", clock=lambda: NOW, retention_days=retention_days)
    signin = _signin_at(moment)
    item = ledger.item_for(signin, evaluate(signin, Settings()))
    ttl = item[TTL_ATTRIBUTE]
    assert _ttl_in_range(ttl, floor=int(NOW.timestamp()))
    expected = int(moment.timestamp()) + retention_days * 86_400
    if NOW.timestamp() <= expected <= MAX_TTL_EPOCH:
        # In range, the TTL says what it always said: the event's time plus retention.
        assert int(ttl["N"]) == expected


@given(
    st.one_of(
        any_moment,
        st.dates(),
        st.integers(-(2**40), 2**40),
        st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-23))])),
    ),
    st.integers(0, 10 * 365 * 86_400),
    st.one_of(st.none(), st.just(NOW)),
)
@settings(max_examples=300, deadline=None)
def test_expires_at_never_raises_and_stays_in_range(
    start: datetime | date | int, keep: int, now: datetime | None
) -> None:
    floor = MIN_TTL_EPOCH if now is None else int(now.timestamp())
    assert _ttl_in_range(expires_at(start, keep, now=now), floor=floor)


def test_reported_event_times_all_build_a_message_and_an_item() -> None:
    ledger = Ledger(None, "table", clock=lambda: NOW)
    for raw in REPORTED:
        for zone in ZONES:
            config = Settings.from_env({"DISPLAY_TIMEZONE": zone})
            signin = parse_signin(_record_with_time(raw), received_at=NOW)
            verdict = evaluate(signin, config)
            assert build_message(signin, verdict, config)["text"].startswith("CRITICAL")
            assert _ttl_in_range(ledger.item_for(signin, verdict)[TTL_ATTRIBUTE])
