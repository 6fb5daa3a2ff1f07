"""GIVEN new places, addresses, settings and a shared send budget WHEN they are judged
THEN severities, countries and send slots come out as a user expects."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from chalicelib.judge.escalation import apply_places
from chalicelib.judge.geo import country_of
from chalicelib.judge.places import Places
from chalicelib.judge.rules import Skip, Verdict
from chalicelib.settings import ConfigError, Settings
from chalicelib.severity import Severity
from chalicelib.slack.delivery import DeliveryFailed, SlackNotifier
from chalicelib.slack.transports import WebhookTransport
from chalicelib.store.send_slots import SendSlots
from localdev.atomic_moto import atomic_moto
from tests.conftest import TABLE


def verdict(severity: Severity, skip: str = "", kind: Skip | None = None) -> Verdict:
    return Verdict(severity, "Console sign-in", (), alert=not skip, skip_reason=skip, skip=kind)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (Severity.INFO, Severity.MEDIUM),
        (Severity.LOW, Severity.MEDIUM),
        (Severity.MEDIUM, Severity.HIGH),
        (Severity.HIGH, Severity.CRITICAL),
        (Severity.CRITICAL, Severity.CRITICAL),
    ],
)
def test_a_new_ip_raises_one_level_and_at_least_to_medium(before, after) -> None:
    result = apply_places(verdict(before), Places(new_ip=True), Settings())

    assert result.severity is after
    assert result.title == "Console sign-in (new IP)"
    assert "new IP" in result.reasons


def test_impossible_travel_is_at_least_high() -> None:
    places = Places(
        new_ip=True, new_country=True, country="GB", travel_from="US", travel_minutes=20
    )

    result = apply_places(verdict(Severity.INFO), places, Settings())

    assert result.severity is Severity.HIGH
    assert result.reasons == (
        "new IP",
        "new country (GB)",
        "impossible travel: US then GB within 20 min",
    )


def test_a_new_place_lifts_an_alert_held_only_by_the_minimum_severity() -> None:
    settings = Settings(alert_min_severity=Severity.MEDIUM)
    held = verdict(
        Severity.INFO, "INFO is below ALERT_MIN_SEVERITY MEDIUM", Skip.BELOW_MIN_SEVERITY
    )

    assert apply_places(held, Places(new_ip=True), settings).alert is True
    ignored = verdict(Severity.INFO, "principal ignored (ci-*)", Skip.IGNORED)
    assert apply_places(ignored, Places(new_ip=True), settings).alert is False


def test_nothing_new_changes_nothing() -> None:
    assert apply_places(verdict(Severity.INFO), Places(), Settings()) == verdict(Severity.INFO)


@pytest.mark.parametrize(
    ("address", "country"),
    [
        ("8.8.8.8", "US"),
        ("81.2.69.160", "GB"),
        ("2001:4860:4860::8888", "US"),
        ("AWS Internal", None),
        ("signin.amazonaws.com", None),
        ("10.1.2.3", None),
        ("192.168.0.1", None),
        ("127.0.0.1", None),
        ("::1", None),
        ("203.0.113.7", None),  # documentation range: not routable
        ("", None),
        ("999.1.1.1", None),
    ],
)
def test_countries_come_from_public_addresses_only(address: str, country: str | None) -> None:
    assert country_of(address) == country


def test_settings_defaults_follow_the_detection_references() -> None:
    settings = Settings.from_env({})

    assert (settings.burst_root_failures, settings.burst_root_window_minutes) == (5, 15)
    assert (settings.burst_failures, settings.burst_window_minutes) == (20, 60)
    assert (settings.spray_user_names, settings.spray_window_minutes) == (10, 60)
    assert settings.digest_enabled is False and settings.new_place_alerts is True


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DIGEST_HOUR_UTC", "24"),
        ("DIGEST_ENABLED", "maybe"),
        ("BURST_FAILURES", "0"),
        ("SLACK_MIN_INTERVAL_SECONDS", "-1"),
    ],
)
def test_bad_storm_settings_name_themselves(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: value})


class FakeWallClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_send_slots_are_spaced_by_the_interval(dynamodb: Any) -> None:
    clock = FakeWallClock(1000.0)
    budget = SendSlots(dynamodb, TABLE, interval=1.1, wall_clock=clock)

    slots = [budget.reserve("https://hooks.slack.example/1") for _ in range(3)]

    assert slots == [1000.0, pytest.approx(1001.1), pytest.approx(1002.2)]
    assert budget.reserve("channel:C0OTHER") == 1000.0  # another channel is not slowed
    clock.now = 1010.0
    assert budget.reserve("https://hooks.slack.example/1") == 1010.0  # idle again


def test_no_slot_is_handed_out_past_the_latest_time(dynamodb: Any) -> None:
    budget = SendSlots(dynamodb, TABLE, interval=1.0, wall_clock=FakeWallClock(50.0))
    budget.reserve("x")
    budget.reserve("x")

    assert budget.reserve("x", latest=51.5) is None
    assert budget.reserve("x", latest=52.5) == pytest.approx(52.0)


def test_concurrent_senders_never_share_a_slot(dynamodb: Any) -> None:
    budget = SendSlots(dynamodb, TABLE, interval=1.0, wall_clock=FakeWallClock(500.0))
    slots: list[float | None] = []

    def take() -> None:
        for _ in range(5):
            slots.append(budget.reserve("shared"))

    threads = [threading.Thread(target=take) for _ in range(4)]
    with atomic_moto():  # DynamoDB applies each write atomically; moto needs the help
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert sorted(slots) == [pytest.approx(500.0 + n) for n in range(20)]  # type: ignore[type-var]


def test_a_post_that_finds_no_send_slot_in_time_is_not_sent(dynamodb: Any) -> None:
    from localdev.fast_forward import FastForward
    from localdev.slack_sink import SlackSink

    clock = FastForward()
    budget = SendSlots(dynamodb, TABLE, interval=5.0, wall_clock=clock.time)
    with SlackSink(clock=clock.monotonic) as sink:
        notifier = SlackNotifier(
            WebhookTransport(sink.webhook_url), slots=budget, clocks=clock.clocks()
        )
        notifier.post({"text": "first"}, deadline=clock.monotonic() + 10)

        with pytest.raises(DeliveryFailed, match="no send slot"):
            notifier.post({"text": "second"}, deadline=clock.monotonic() + 10, max_wait=1.0)

        assert [m["text"] for m in sink.messages] == ["first"]
