"""The digest's counts read right in every MESSAGE_LANGUAGE: English nouns agree with
their count, Korean counts with its counter words and never borrows an English plural."""

from __future__ import annotations

from datetime import date

import pytest

from chalicelib.settings import Language, Settings
from chalicelib.slack.digest_message import digest_message
from chalicelib.store.day_tally import DIGEST_COUNTERS, DaySummary


def summary(n: int) -> DaySummary:
    totals = dict.fromkeys(DIGEST_COUNTERS, n)
    return DaySummary(date(2026, 11, 25), totals, busiest=(("IAM user alice (1)", n, 0),))


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (1, ["1 sign-in ", "1 new IP,", "1 new country,", "1 burst"]),
        (2, ["2 sign-ins ", "2 new IPs,", "2 new countries,", "2 bursts"]),
    ],
)
def test_english_nouns_agree_with_their_count(n: int, words: list[str]) -> None:
    message = digest_message(summary(n), Settings())
    assert all(word in message["text"] for word in words)
    assert f"IAM user alice (1): {words[0].strip()}, 0 failed" in str(message["blocks"])


@pytest.mark.parametrize("n", [1, 2])
def test_korean_counts_with_counter_words(n: int) -> None:
    message = digest_message(summary(n), Settings(language=Language.KO))
    text = message["text"]
    assert text.startswith(f"INFO: 2026-11-25 로그인 요약: 로그인 {n}건")
    assert f"새 IP {n}개, 새 국가 {n}곳, 버스트 {n}건" in text
    assert not any(word in text for word in ("sign-ins", "countries", "bursts", "IPs"))
    assert message["blocks"][0]["text"]["text"] == "2026-11-25 로그인 요약"
