"""A working day of a 100-person team on one account, through the real handler on the
embedded emulator (localdev) and the local Slack sink, on the simulated clock.

About 80 people through IAM Identity Center, 13 IAM users (3 without MFA, one
break-glass user in CRITICAL_PRINCIPALS), one root sign-in, 15 typos (a failure, then
the sign-in a minute later), a password spray of 30 failures over 20 names from one IP
(16 of them names AWS hides), one sign-in from a new country; 15 working days of
history before it, through the same handler. Seeded: every run is the same day.
Records arrive 1 to 5 minutes after their event time, as CloudTrail delivers them;
the every-minute schedule runs each minute. Prints the day's Slack messages per
severity and per hour, the longest run of routine messages, when each sign-in was
first named in Slack, and how long after its record arrived root, the break-glass
user, the spray and the new country were posted.

    .venv/bin/python -m bench.day [--severity MEDIUM|INFO|...] [--transport webhook|webapi]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from localdev.aws import LocalAws
from localdev.fast_forward import FastForward
from localdev.signins import Login
from localdev.slack_sink import WEBHOOK_PATH, Received, SlackSink

TABLE = "signin-alerts-bench-day"
ACCOUNT = "123456789012"
DAY = datetime(2026, 11, 25, tzinfo=UTC)  # a Wednesday
HISTORY_DAYS = 15  # working days before it
OFFICE_IP = "1.201.0.10"  # a Korean address: the team's office
SPRAY_IP = "45.155.205.33"
ABROAD_IP = "5.9.10.20"  # a German address: the new country
HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
SEED = 25


@dataclass(frozen=True)
class Person:
    name: str
    kind: str  # AssumedRole (Identity Center) or IAMUser
    mfa: bool
    home_ip: str


@dataclass
class Arrival:
    at: float  # when the record reaches the handler (epoch seconds)
    event: dict[str, Any]
    label: str = ""  # root, break-glass, spray, new country: measured by name


@dataclass
class Day:
    arrivals: list[Arrival] = field(default_factory=list)
    spray_failures: int = 0


def home(rng: random.Random, n: int) -> str:
    """A home address in Korea, as the office's."""
    return f"1.201.{rng.randrange(1, 250)}.{n}"


def team(rng: random.Random) -> list[Person]:
    people = [
        Person(
            f"user{n:02d}@example.com", "AssumedRole", False, f"1.201.{rng.randrange(1, 250)}.{n}"
        )
        for n in range(80)
    ]
    people += [Person(f"iam{n:02d}", "IAMUser", True, home(rng, 100 + n)) for n in range(9)]
    people += [Person(f"legacy{n}", "IAMUser", False, OFFICE_IP) for n in range(3)]
    return people


def login(
    event_id: str,
    at: datetime,
    person: Person,
    *,
    ip: str | None = None,
    success: bool = True,
) -> dict[str, Any]:
    record = Login(
        event_id,
        at,
        name=person.name,
        kind=person.kind,
        account_id=ACCOUNT,
        source_ip=ip or person.home_ip,
        success=success,
        mfa=person.mfa,
    ).envelope()
    if not success:  # a failed sign-in's record has no ARN
        record["detail"]["userIdentity"].pop("arn", None)
    return record


def arriving(rng: random.Random, at: datetime, event: dict[str, Any], label: str = "") -> Arrival:
    return Arrival(at.timestamp() + rng.uniform(60, 300), event, label)


def working_day(rng: random.Random, day: datetime, people: list[Person], *, today: bool) -> Day:
    """The day's records: each person signs in once or twice between 08:00 and 18:00
    (most in the morning); today also brings the typos, root, the break-glass user,
    the spray and the new country."""
    made = Day()
    tag = day.strftime("%m%d")
    for person in people:
        times = [day + timedelta(hours=8, minutes=rng.triangular(0, 600, 60))]
        if rng.random() < 0.4:
            times.append(day + timedelta(hours=13, minutes=rng.uniform(0, 240)))
        for n, at in enumerate(times):
            ip = OFFICE_IP if rng.random() < 0.5 else person.home_ip
            event = login(f"{tag}-{person.name}-{n}", at, person, ip=ip)
            made.arrivals.append(arriving(rng, at, event))
    if not today:
        return made
    iam = [p for p in people if p.kind == "IAMUser" and p.mfa]
    for n in range(15):  # typos: a failure, then the sign-in a minute later
        person = iam[n % len(iam)]
        at = day + timedelta(hours=8, minutes=rng.uniform(0, 560))
        typo = login(f"typo-{n}", at, person, success=False)
        made.arrivals.append(arriving(rng, at, typo))
        retry = login(f"typo-{n}-ok", at + timedelta(minutes=1), person)
        made.arrivals.append(arriving(rng, at + timedelta(minutes=1), retry))
    root = Person("root", "Root", True, OFFICE_IP)
    at = day + timedelta(hours=11, minutes=20)
    made.arrivals.append(arriving(rng, at, login("root-1", at, root), "root"))
    breakglass = Person("breakglass", "IAMUser", True, OFFICE_IP)
    at = day + timedelta(hours=15, minutes=10)
    made.arrivals.append(arriving(rng, at, login("bg-1", at, breakglass), "break-glass"))
    traveller = people[5]
    at = day + timedelta(hours=16, minutes=40)
    abroad = login("abroad-1", at, traveller, ip=ABROAD_IP)
    made.arrivals.append(arriving(rng, at, abroad, "new country"))
    # The spray: 30 failures over 20 names in 15 minutes; 16 names AWS hides.
    real = [people[10].name, iam[0].name, "legacy0", "breakglass"]
    names = [HIDDEN] * 16 + real
    start = day + timedelta(hours=14, minutes=2)
    for n in range(30):
        name = names[n % len(names)]
        kind = "IAMUser"
        at = start + timedelta(seconds=30 * n)
        event = login(f"spray-{n}", at, Person(name, kind, False, SPRAY_IP), success=False)
        if name == HIDDEN:
            event["detail"]["userIdentity"].pop("principalId", None)
        made.arrivals.append(arriving(rng, at, event, "spray"))
        made.spray_failures += 1
    return made


def history_days() -> list[datetime]:
    days: list[datetime] = []
    day = DAY
    while len(days) < HISTORY_DAYS:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    return sorted(days)


def severity_of(message: dict[str, Any]) -> str:
    return str(message.get("text", "")).split(":", 1)[0] or "?"


def is_routine(message: dict[str, Any]) -> bool:
    return "Routine sign-ins" in str(message.get("text", ""))


@dataclass
class Result:
    severity: str
    transport: str
    messages: list[Received]
    updates: int
    signins: int
    named_within: list[float]  # seconds from arrival to first named, per sign-in
    unnamed: int
    delays: dict[str, float | None]
    elapsed: float


def run(severity: str, transport: str) -> Result:
    rng = random.Random(SEED)
    people = team(rng)
    clock = FastForward(history_days()[0])
    with LocalAws() as aws, SlackSink(clock=clock.time, wall_clock=clock.time) as sink:
        os.environ.update(aws.env)
        from chalicelib.container import Container
        from tools.provision import provision

        provision(TABLE)
        env = {
            "LEDGER_TABLE": TABLE,
            "ALERT_MIN_SEVERITY": severity,
            "CRITICAL_PRINCIPALS": "*:user/breakglass",
            "SLACK_MIN_INTERVAL_SECONDS": "1.1",
            **aws.env,
        }
        if transport == "webapi":
            env |= {
                "SLACK_BOT_TOKEN": "xoxb-bench",
                "SLACK_CHANNEL": "C0SEC",
                "SLACK_API_URL": sink.api_url,
            }
        else:
            env["SLACK_WEBHOOK_URL"] = sink.webhook_url
        container = Container(env, clocks=clock.clocks())
        started = time.monotonic()

        def replay(day: Day, until: float) -> None:
            """Each record at its arrival; the schedule every minute."""
            pending = sorted(day.arrivals, key=lambda arrival: arrival.at)
            minute = (clock.time() // 60 + 1) * 60
            index = 0
            while minute <= until:
                while index < len(pending) and pending[index].at < minute:
                    clock.advance(max(0.0, pending[index].at - clock.time()))
                    container.alerter.handle(pending[index].event, deadline=clock.monotonic() + 60)
                    index += 1
                clock.advance(max(0.0, minute - clock.time()))
                container.minute_sweeps(deadline=clock.monotonic() + 60)
                minute += 60

        # The history builds the ledger the day is judged against (places, directory,
        # counters): through the same handler, at INFO and without the schedule, so it
        # leaves no roll-up behind; its messages are not the day's.
        past = Container({**env, "ALERT_MIN_SEVERITY": "INFO"}, clocks=clock.clocks())
        for day in history_days():
            print(f"  history {day.date()} ({time.monotonic() - started:.0f} s)", flush=True)
            for arrival in sorted(
                working_day(rng, day, people, today=False).arrivals, key=lambda arrival: arrival.at
            ):
                clock.advance(max(0.0, arrival.at - clock.time()))
                past.alerter.handle(arrival.event, deadline=clock.monotonic() + 60)
        clock.advance(max(0.0, DAY.timestamp() + 7 * 3600 - clock.time()))
        before, updates_before = len(sink.delivered), len(updates_of(sink))
        today = working_day(rng, DAY, people, today=True)
        replay(today, DAY.timestamp() + 21 * 3600)
        messages = [r for r in sink.delivered[before:] if not r.path.endswith("/chat.update")]
        messages = [
            r for r in messages if r.path == WEBHOOK_PATH or r.path.endswith("/chat.postMessage")
        ]
        updates = len(updates_of(sink)) - updates_before
        named, unnamed = named_delays(today, sink.delivered[before:])
        return Result(
            severity,
            transport,
            messages,
            updates,
            len(today.arrivals),
            named,
            unnamed,
            label_delays(today, sink.delivered[before:]),
            time.monotonic() - started,
        )


def updates_of(sink: SlackSink) -> list[Received]:
    return [r for r in sink.delivered if r.path.endswith("/chat.update")]


def _who(event: dict[str, Any]) -> str:
    identity = event["detail"]["userIdentity"]
    name = identity.get("userName") or identity.get("arn", "").rsplit("/", 1)[-1]
    return "" if name == HIDDEN else str(name)


def named_delays(day: Day, delivered: list[Received]) -> tuple[list[float], int]:
    """For each sign-in, how long after its arrival a Slack message (or an update of
    one) first named it: by its eventID (an alert), by name, time and IP (a roll-up's
    line), or, for a spray's failures, the spray's next message."""
    found: list[float] = []
    unnamed = 0
    # As Slack shows it: one JSON line per message, its own newlines escaped.
    bodies = [(r.at, json.dumps(r.json, ensure_ascii=False)) for r in delivered]
    for arrival in day.arrivals:
        detail = arrival.event["detail"]
        when = datetime.fromisoformat(detail["eventTime"].replace("Z", "+00:00"))
        who, ip = re.escape(_who(arrival.event)), re.escape(detail["sourceIPAddress"])
        line = re.compile(rf"{when:%H:%M} [^\\]*{who}[^\\]*{ip}")
        first = None
        for at, body in bodies:
            if at < arrival.at:
                continue
            spray = arrival.label == "spray" and "password spraying" in body
            if detail["eventID"] in body or spray or (_who(arrival.event) and line.search(body)):
                first = at - arrival.at
                break
        if first is None:
            unnamed += 1
        else:
            found.append(first)
    return found, unnamed


def label_delays(day: Day, delivered: list[Received]) -> dict[str, float | None]:
    """Root, the break-glass user, the spray (its first message), the new country:
    seconds from the arrival of the record that calls for it to its message."""
    delays: dict[str, float | None] = {}
    for label, needle in (
        ("root", "root-1"),
        ("break-glass", "bg-1"),
        ("spray", "password spraying"),
        ("new country", "abroad-1"),
    ):
        posted = [r.at for r in delivered if needle in json.dumps(r.json, ensure_ascii=False)]
        if not posted:
            delays[label] = None
            continue
        first = min(posted)
        arrived = [a.at for a in day.arrivals if a.label == label and a.at <= first]
        delays[label] = first - max(arrived) if arrived else None
    return delays


def report(result: Result) -> None:
    messages = [r.json for r in result.messages]
    by_severity = Counter(severity_of(m) for m in messages if not is_routine(m))
    by_hour = Counter(datetime.fromtimestamp(r.at, UTC).hour for r in result.messages)
    longest = run_length = 0
    for message in messages:  # a roll-up is one routine message, as an INFO alert is
        routine = is_routine(message) or severity_of(message) in ("INFO", "LOW")
        run_length = run_length + 1 if routine else 0
        longest = max(longest, run_length)
    rollups = sum(is_routine(m) for m in messages)
    print(
        f"ALERT_MIN_SEVERITY={result.severity}, {result.transport}: {result.signins} sign-in "
        f"records that day, {len(messages)} new Slack messages ({rollups} routine roll-ups), "
        f"{result.updates} in-place updates"
    )
    order = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO")
    alerts = ", ".join(f"{s} {by_severity[s]}" for s in order)
    print(f"  alerts per severity: {alerts}; routine roll-ups {rollups}")
    print("  per hour (UTC): " + ", ".join(f"{h:02d}h {n}" for h, n in sorted(by_hour.items())))
    print(f"  longest run of routine (INFO/LOW) messages: {longest}")
    worst = max(result.named_within, default=0.0)
    print(
        f"  named in Slack: {len(result.named_within)} of {result.signins} sign-ins "
        f"({result.unnamed} never), the last {worst / 60:.1f} min after its record arrived"
    )
    for label, delay in result.delays.items():
        print(f"  {label}: " + ("not posted" if delay is None else f"posted {delay:.1f} s after"))
    print(f"  (simulated in {result.elapsed:.0f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--severity", default="MEDIUM", help="ALERT_MIN_SEVERITY")
    parser.add_argument("--transport", choices=("webhook", "webapi"), default="webhook")
    parser.add_argument("--both", action="store_true", help="the defaults, then INFO")
    args = parser.parse_args()
    runs = [("MEDIUM", args.transport), ("INFO", args.transport)] if args.both else []
    for severity, transport in runs or [(args.severity, args.transport)]:
        report(run(severity, transport))


if __name__ == "__main__":
    main()
