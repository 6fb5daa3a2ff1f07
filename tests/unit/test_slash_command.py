"""GIVEN what a user types after /recent-logins WHEN it is parsed THEN it means what
they meant, or the reply names the word it could not use."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.recent_logins.command import BadCommand, Command, parse_command
from chalicelib.settings import Settings
from chalicelib.store.schema import Category

SETTINGS = Settings(account_names={"111122223333": "prod", "444455556666": "Staging"})


def test_nothing_means_ten_of_the_last_seven_days() -> None:
    assert parse_command("", SETTINGS) == Command()
    assert Command().limit == 10 and Command().window == timedelta(days=7)


def test_every_word_in_any_order() -> None:
    command = parse_command("account prod  since 24h Alice 25 nomfa FAILED", SETTINGS)

    assert command.limit == 25
    assert command.who == "Alice"
    assert command.categories == {Category.NOMFA, Category.FAILED}
    assert (command.window, command.window_text) == (timedelta(hours=24), "24 hours")
    assert command.account_id == "111122223333"


@pytest.mark.parametrize(
    ("text", "window", "label"),
    [
        ("since 30m", timedelta(minutes=30), "30 minutes"),
        ("since 1h", timedelta(hours=1), "1 hour"),
        ("since 7d", timedelta(days=7), "7 days"),
        ("since 2w", timedelta(weeks=2), "2 weeks"),
        ("90d", timedelta(days=90), "90 days"),
    ],
)
def test_durations(text: str, window: timedelta, label: str) -> None:
    command = parse_command(text, SETTINGS)

    assert (command.window, command.window_text) == (window, label)


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("account 444455556666", "444455556666"),
        ("account staging", "444455556666"),
        ("999988887777", "999988887777"),
    ],
)
def test_accounts_by_id_or_configured_name(text: str, query: str) -> None:
    assert parse_command(text, SETTINGS).account_id == query


def test_who_may_be_an_arn_fragment() -> None:
    assert parse_command("assumed-role/Admin", SETTINGS).who == "assumed-role/Admin"


@pytest.mark.parametrize("word", ["1", "50"])
def test_n_accepts_one_to_fifty(word: str) -> None:
    assert parse_command(word, SETTINGS).limit == int(word)


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("51", "51"),
        ("0", "0"),
        ("since 91d", "91d"),
        ("since yesterday", "yesterday"),
        ("since 24h since 1h", "1h"),
        ("account 123", "123"),
        ("account dev", "dev"),
        ("alice bob", "bob"),
        ("<!here>", "<!here>"),
        ("x " * 13, "x"),
    ],
)
def test_the_first_unusable_word_is_named(text: str, word: str) -> None:
    with pytest.raises(BadCommand) as raised:
        parse_command(text, SETTINGS)

    assert raised.value.word == word


def test_help_wins() -> None:
    assert parse_command("failed help", SETTINGS).help


@given(st.text(max_size=200))
def test_any_text_parses_or_names_a_bad_word(text: str) -> None:
    try:
        command = parse_command(text, SETTINGS)
    except BadCommand as bad:
        assert bad.word in text
    else:
        assert 1 <= command.limit <= 50
        assert command.window <= timedelta(days=SETTINGS.ledger_retention_days)


@pytest.mark.parametrize(
    ("text", "window"),
    [
        ("since 30m", timedelta(minutes=30)),
        ("since 60m", timedelta(hours=1)),
        ("since 2h", timedelta(hours=2)),
        ("since 1d", timedelta(days=1)),
        ("since 2w", timedelta(weeks=2)),
        ("", timedelta(days=7)),
    ],
)
def test_every_window_is_exact_to_the_second_whatever_its_unit(
    text: str, window: timedelta
) -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 11, 20, 15, 55, 7, 654_321, tzinfo=UTC)

    since = parse_command(text, SETTINGS).to_query(now).since

    assert since == datetime(2026, 11, 20, 15, 55, 7, tzinfo=UTC) - window


def test_a_text_longer_than_slack_sends_is_a_bad_command() -> None:
    from chalicelib.recent_logins.command import MAX_TEXT_CHARACTERS

    with pytest.raises(BadCommand, match="at most 4,000 characters"):
        parse_command("a " * (MAX_TEXT_CHARACTERS // 2) + "b", SETTINGS)


def test_the_manifest_usage_hint_is_the_grammar() -> None:
    from pathlib import Path

    import yaml

    from chalicelib.recent_logins.command import GRAMMAR, USAGE

    manifest = yaml.safe_load((Path(__file__).parents[2] / "slack" / "manifest.yml").read_text())
    [command] = manifest["features"]["slash_commands"]

    assert command["usage_hint"] == GRAMMAR
    assert GRAMMAR in USAGE
