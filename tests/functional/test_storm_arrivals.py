"""GIVEN a storm whose records CloudTrail delivers minutes after their event time, out of
order WHEN they go through the real console_signin handler and the every-minute
`burst_summaries` sweep, on the simulated clock THEN the rolling summaries come at the
cadence they promise (judged by arrival, not event time), "First" stays and "Last" never
goes backwards, and the closing summary and the digest carry the burst's final count."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta
from typing import Any

from chalice.test import Client

import app as app_module
from chalicelib.settings import Settings
from chalicelib.store.day_tally import DayTally
from localdev.events import console_login
from localdev.fast_forward import FastForward
from localdev.slack_sink import Received, SlackSink
from tests.conftest import NOW, TABLE

DELAY = 180.0  # CloudTrail's delivery delay, about
FAILURES = 60  # one every 10 s: a 10-minute storm
INTERVAL = Settings.burst_summary_seconds
DATE = re.compile(r"\*(First|Last)\*\\n<!date\^(\d+)\^")


def burst_messages(sink: SlackSink) -> list[Received]:
    return [r for r in sink.delivered if "possible brute force" in r.json.get("text", "")]


def first_and_last(message: Received) -> dict[str, int]:
    return {label: int(epoch) for label, epoch in DATE.findall(message.body.decode())}


def test_a_delayed_storm_keeps_its_cadence_and_its_last_never_goes_back(
    invoke: Any, configure: Any, slack_sink: SlackSink, fast_forward: FastForward, dynamodb: Any
) -> None:
    configure()
    start = NOW - timedelta(seconds=DELAY - 30)
    # Delays of 170 s and 190 s in turn: records arrive late and out of order.
    arrivals = sorted(
        (
            (start + timedelta(seconds=10 * n + DELAY + (10 if n % 2 else -10))).timestamp(),
            console_login(f"late-{n}", start + timedelta(seconds=10 * n)),
        )
        for n in range(FAILURES)
    )
    timeline: list[tuple[float, dict[str, Any] | None]] = list(arrivals)
    sweeps_until = arrivals[-1][0] + 15 * 60
    minutes = int((sweeps_until - NOW.timestamp()) // 60)  # the every-minute schedule's
    timeline += [(NOW.timestamp() + 60 * m, None) for m in range(1, 1 + minutes)]
    timeline.sort(key=lambda pair: (pair[0], pair[1] is None))

    with Client(app_module.app, stage_name="dev-us-east-1") as client:
        tick = client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
        )
        for at, event in timeline:
            fast_forward.advance(max(0.0, at - fast_forward.time()))
            if event is None:  # the every-minute schedule, through its real handler
                client.lambda_.invoke("burst_summaries", tick)
            else:
                invoke(event)

    [alert, *summaries] = burst_messages(slack_sink)
    assert len(summaries) >= 3
    times = [alert.at] + [summary.at for summary in summaries]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert min(gaps) >= INTERVAL - 0.01, gaps
    seen = [first_and_last(message) for message in [alert, *summaries]]
    assert len({shown["First"] for shown in seen}) == 1
    lasts = [shown["Last"] for shown in seen]
    assert lasts == sorted(lasts)
    assert lasts[-1] == int((start + timedelta(seconds=10 * (FAILURES - 1))).timestamp())
    closing = summaries[-1].json["text"]
    told = f"possible brute force on root user: {FAILURES} failed sign-ins"
    assert closing.startswith(f"HIGH: {told}")
    [line] = DayTally(dynamodb, TABLE).read(start.date()).bursts
    assert line.startswith(told)
