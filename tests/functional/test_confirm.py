"""GIVEN "Was this you?" is on WHEN someone signs in THEN the person behind the sign-in
is asked in a DM, and their answer (or their silence) is recorded on the sign-in and
told in the alert channel: a yes quietly, a no or no answer as an escalation, once."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from chalice.test import Client

import app as app_module
from chalicelib.slack.digest_message import digest_message
from chalicelib.slack.verify import sign
from localdev.atomic_moto import atomic_moto
from localdev.events import console_login
from localdev.fast_forward import FastForward
from localdev.slack_sink import Reply, SlackSink
from tests.conftest import TABLE
from tests.functional.confirm_flow import (
    ALICE,
    CHANNEL,
    MALLORY,
    MENTION,
    SIGNING_SECRET,
    START,
    TEAM_ID,
    Flow,
    build,
    entities,
    rendered,
)

WAS_ME, NOT_ME = "signin_was_me", "signin_not_me"


@pytest.fixture
def fast_forward() -> FastForward:
    """The app's and the sink's clock, from the test's start."""
    return FastForward(START)


@pytest.fixture
def clock(fast_forward: FastForward) -> FastForward:
    return fast_forward


@pytest.fixture
def flow(
    dynamodb: Any, slack_sink: SlackSink, clock: FastForward, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flow]:
    monkeypatch.setattr(app_module, "container", build(slack_sink, clock))
    with Client(app_module.app, stage_name="dev-us-east-1") as client:
        yield Flow(client, slack_sink, dynamodb, clock)


def configure(flow: Flow, monkeypatch: pytest.MonkeyPatch, **settings: str) -> None:
    monkeypatch.setattr(app_module, "container", build(flow.sink, flow.clock, **settings))


def asked(flow: Flow, event_id: str = "e-1", **signin: Any) -> None:
    """A sign-in without MFA (HIGH) by alice, asked about one minute later."""
    flow.clock.advance(minutes=1)
    assert flow.signin(event_id, **signin)["outcome"] == "posted"


# --- the question ---------------------------------------------------------------------


def test_the_mapped_person_gets_a_dm_and_the_alert_says_whom_it_asked(flow: Flow) -> None:
    asked(flow)

    [alert] = flow.channel_posts()
    assert f"asked <@{ALICE}>" in rendered(alert)
    assert [r.json["users"] for r in flow.calls("conversations.open")] == [ALICE]
    [dm] = flow.dms()
    assert dm["channel"] == "D0ALICE"
    text = rendered(dm)
    assert "Was this you?" in dm["text"]
    assert f"<!date^{int(START.timestamp())}^" in text  # each reader's own time zone
    assert "123456789012" in text and "203.0.113.7" in text and "Mozilla/5.0" in text
    buttons = {
        element["action_id"]: element["value"]
        for block in dm["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    }
    assert buttons == {WAS_ME: "e-1", NOT_ME: "e-1"}
    state = flow.state("e-1")
    assert state["confirm_state"] == "asked" and state["confirm_user"] == ALICE
    assert state["confirm_asked_at"] == flow.clock.now().isoformat()
    assert state["confirm_dm_channel"] == "D0ALICE"
    assert entities(dm) == set()  # the DM mentions nobody


def test_a_sign_in_below_the_minimum_is_not_asked(flow: Flow) -> None:
    flow.signin("e-1", mfa=True)  # INFO, the principal's first: no new place

    assert flow.dms() == [] and "asked" not in rendered(flow.channel_posts()[0])
    assert "confirm_state" not in flow.state("e-1")


def test_an_unmapped_principal_is_not_asked_and_the_alert_says_so(flow: Flow) -> None:
    flow.signin("e-1", user="bob")

    assert flow.dms() == []
    assert "no Slack user mapped" in rendered(flow.channel_posts()[0])


def test_a_dm_slack_refuses_is_recorded_and_the_alert_says_so(flow: Flow) -> None:
    flow.sink.then(Reply(), Reply(), Reply(200, api_error="cannot_dm_bot"))  # alert, open, DM

    asked(flow)

    assert flow.state("e-1")["confirm_state"] == "failed"
    [update] = flow.updates("C0SINK")
    assert f"could not ask <@{ALICE}>" in rendered(update)
    assert flow.sweep()["due"] == 0


# --- answers --------------------------------------------------------------------------


def test_yes_is_recorded_and_told_in_the_alert_and_the_dm(flow: Flow) -> None:
    asked(flow)
    flow.clock.advance(minutes=2)

    reply = flow.click(WAS_ME, "e-1")

    assert (reply.status, reply.body) == (200, b"")
    state = flow.state("e-1")
    assert state["confirm_state"] == "confirmed"
    assert state["confirm_answered_by"] == ALICE
    assert state["confirm_answered_at"] == flow.clock.now().isoformat()
    assert "confirm_queue" not in state
    [alert_update] = flow.updates("C0SINK")
    assert f"confirmed by <@{ALICE}> 2 min after" in rendered(alert_update)
    assert "attachments" not in alert_update  # the alert's details stay as they were
    [thanks] = flow.updates("D0ALICE")
    assert "Thanks" in thanks["text"] and "actions" not in rendered(thanks)
    assert len(flow.channel_posts()) == 1  # a yes is no news
    flow.clock.advance(minutes=30)
    assert flow.sweep()["escalated"] == 0


def test_no_escalates_critical_with_the_mention_and_a_runbook(flow: Flow) -> None:
    asked(flow)
    flow.clock.advance(minutes=1)

    reply = flow.click(NOT_ME, "e-1")

    assert reply.status == 200
    _alert, escalation = flow.channel_posts()
    assert escalation["text"].startswith(MENTION + " CRITICAL: alice sign-in denied")
    assert f"<@{ALICE}> says it was not them" in escalation["text"]
    text = rendered(escalation)
    assert "cloudtrailv2/home?region=us-east-1#/events?Username=alice&StartTime=" in text
    assert "iam/home#/users/details/alice" in text
    assert "Revoke" in text or "Disable" in text
    assert entities(escalation) == {MENTION, f"<@{ALICE}>"} | _links(escalation)
    state = flow.state("e-1")
    assert state["confirm_state"] == "denied" and state["confirm_answered_by"] == ALICE
    assert state["confirm_escalated_at"] and "confirm_queue" not in state
    [alert_update] = flow.updates("C0SINK")
    assert f"denied by <@{ALICE}> 1 min after being asked: escalated" in rendered(alert_update)
    [thanks] = flow.updates("D0ALICE")
    assert "security team has been alerted" in thanks["text"]
    flow.clock.advance(minutes=30)
    assert flow.sweep()["escalated"] == 0 and len(flow.channel_posts()) == 2


def _links(message: dict[str, Any]) -> set[str]:
    return {e for e in entities(message) if e.startswith("<http")}


@pytest.mark.parametrize("answer", [WAS_ME, NOT_ME])
def test_someone_else_cannot_answer(flow: Flow, answer: str) -> None:
    asked(flow)

    reply = flow.click(answer, "e-1", user_id=MALLORY)

    assert reply.status == 200
    [ephemeral] = flow.ephemerals()
    assert ephemeral == {
        "response_type": "ephemeral",
        "replace_original": False,
        "text": f"Only <@{ALICE}> can answer this.",
    }
    assert flow.state("e-1")["confirm_state"] == "asked"
    assert flow.calls("chat.update") == [] and len(flow.channel_posts()) == 1


@pytest.mark.parametrize("second", [WAS_ME, NOT_ME])
def test_a_second_click_changes_nothing(flow: Flow, second: str) -> None:
    asked(flow)
    flow.click(WAS_ME, "e-1")
    before = (flow.state("e-1"), len(flow.sink.requests) + 1)

    reply = flow.click(second, "e-1")

    assert reply.status == 200
    assert (flow.state("e-1"), len(flow.sink.requests)) == before  # + the ephemeral only
    assert "already answered: confirmed" in flow.ephemerals()[-1]["text"]


def test_a_replayed_request_changes_nothing(flow: Flow) -> None:
    asked(flow)
    body = flow.click_body(NOT_ME, "e-1")
    stamp = str(int(flow.clock.time()))
    headers = {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": sign(SIGNING_SECRET, stamp, body),
    }
    first = flow.post_signed(body, headers)
    state = flow.state("e-1")

    replayed = [flow.post_signed(body, headers) for _ in range(3)]

    assert [r.status for r in [first, *replayed]] == [200] * 4
    assert flow.state("e-1") == state
    assert len(flow.channel_posts()) == 2  # the alert and one escalation


@pytest.mark.parametrize(
    "event_id", ["no-such-event", "", "<!channel>", "x" * 300, "e-1\nINJECT", "../../etc"]
)
def test_an_unknown_or_malformed_event_id_changes_nothing(flow: Flow, event_id: str) -> None:
    asked(flow)
    state = flow.state("e-1")

    reply = flow.click(WAS_ME, event_id)

    assert (reply.status, reply.body) == (200, b"")
    assert flow.state("e-1") == state
    [ephemeral] = flow.ephemerals()
    assert "could not find" in ephemeral["text"]
    assert flow.calls("chat.update") == []


def _form(payload: object) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(_form({"type": "view_submission", "team": {"id": TEAM_ID}}), id="view"),
        pytest.param(_form({"type": "block_actions", "team": {"id": TEAM_ID}}), id="no actions"),
        pytest.param(b"ssl_check=1&token=x", id="ssl_check"),
    ],
)
def test_other_payloads_get_an_empty_200(flow: Flow, body: bytes) -> None:
    asked(flow)
    before = len(flow.sink.requests)

    reply = flow.post(body)

    assert (reply.status, reply.body) == (200, b"")
    assert len(flow.sink.requests) == before
    assert flow.state("e-1")["confirm_state"] == "asked"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"", id="no payload"),
        pytest.param(b"payload=not-json", id="not JSON"),
        pytest.param(b"payload=%5B1%2C2%5D", id="a JSON list"),
        pytest.param(b"payload=%7B%22type%22%3A%22view_submission%22%7D", id="no team"),
    ],
)
def test_a_payload_that_names_no_workspace_is_not_allowed_and_changes_nothing(
    flow: Flow, body: bytes
) -> None:
    asked(flow)
    before = len(flow.sink.requests)

    reply = flow.post(body)

    # The gate's workspace step, as on every Slack route: a 200 (Slack ignores the body
    # of an interaction's answer) that says "not allowed", and nothing sent or written.
    assert reply.status == 200
    assert "not allowed" in json.loads(reply.body)["text"]
    assert len(flow.sink.requests) == before
    assert flow.state("e-1")["confirm_state"] == "asked"


def test_another_action_or_workspace_is_ignored(flow: Flow) -> None:
    asked(flow)

    other_action = flow.click("some_other_button", "e-1")
    other_team = flow.click(WAS_ME, "e-1", team_id="T0OTHER")

    assert [other_action.status, other_team.status] == [200, 200]
    assert flow.state("e-1")["confirm_state"] == "asked"
    assert flow.ephemerals() == [] and flow.calls("chat.update") == []


@pytest.mark.parametrize("secret", ["not-the-secret", ""])
def test_a_bad_signature_is_refused_with_401(flow: Flow, secret: str) -> None:
    asked(flow)

    reply = flow.post(flow.click_body(NOT_ME, "e-1"), secret=secret or "x")
    unsigned = flow.post_signed(flow.click_body(NOT_ME, "e-1"), {})

    assert (reply.status, reply.body) == (401, b"Unauthorized")
    assert unsigned.status == 401
    assert flow.state("e-1")["confirm_state"] == "asked"
    assert len(flow.channel_posts()) == 1


def test_a_hostile_user_name_is_inert_in_the_dm_and_the_escalation(flow: Flow) -> None:
    hostile = "hostile<!channel>&<https://evil.example|AWS>*bold*"
    asked(flow, user=hostile)

    flow.click(NOT_ME, "e-1")

    [dm] = flow.dms()
    escalation = flow.channel_posts()[1]
    assert entities(dm) == set()
    assert entities(escalation) - _links(escalation) == {MENTION, f"<@{ALICE}>"}
    assert all("evil.example" not in link for link in _links(escalation))
    assert "&lt;!channel&gt;" in rendered(dm) and "&lt;!channel&gt;" in rendered(escalation)
    assert "Username=hostile%3C%21channel%3E" in rendered(escalation)


# --- silence ----------------------------------------------------------------------------


def test_no_answer_in_time_escalates_once_even_with_two_sweeps_at_once(flow: Flow) -> None:
    asked(flow)
    flow.clock.advance(minutes=14)
    assert flow.sweep()["escalated"] == 0
    flow.clock.advance(minutes=1, seconds=1)

    results: list[dict[str, int]] = []
    start = threading.Barrier(2)

    def sweep() -> None:
        start.wait()
        results.append(flow.sweep())

    with atomic_moto():
        threads = [threading.Thread(target=sweep) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert sorted(result["escalated"] for result in results) == [0, 1]
    _alert, escalation = flow.channel_posts()
    assert escalation["text"].startswith(
        f"{MENTION} CRITICAL: no answer from <@{ALICE}> in 15 min about the sign-in of alice"
    )
    state = flow.state("e-1")
    assert state["confirm_state"] == "unanswered" and state["confirm_escalated_at"]
    assert "confirm_queue" not in state
    [alert_update] = flow.updates("C0SINK")
    assert f"no answer from <@{ALICE}> in 15 min: escalated" in rendered(alert_update)
    flow.clock.advance(minutes=5)
    assert flow.sweep() == {"due": 0, "escalated": 0, "failed": 0, "skipped": 0}


def test_a_late_answer_is_still_recorded(flow: Flow) -> None:
    asked(flow)
    flow.clock.advance(minutes=16)
    flow.sweep()

    flow.click(WAS_ME, "e-1")

    assert flow.state("e-1")["confirm_state"] == "confirmed"
    assert "confirmed by <@U0ALICE> 16 min after" in rendered(flow.updates("C0SINK")[-1])


def test_an_escalation_slack_refuses_is_posted_by_the_next_sweep(flow: Flow) -> None:
    asked(flow)
    flow.clock.advance(minutes=16)
    flow.sink.then(*[Reply(500, "down")] * 5)

    failed = flow.sweep()
    retried = flow.sweep()

    assert failed["failed"] == 1 and retried["escalated"] == 1
    assert len(flow.channel_posts()) == 2


def test_decimal_minutes_escalate_after_seconds(
    flow: Flow, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(flow, monkeypatch, CONFIRM_WITHIN_MINUTES="0.05")
    asked(flow)
    flow.clock.advance(seconds=2)
    assert flow.sweep()["escalated"] == 0
    flow.clock.advance(seconds=1)

    assert flow.sweep()["escalated"] == 1
    assert "in 3 s" in flow.channel_posts()[1]["text"]


# --- configuration ------------------------------------------------------------------------


def test_with_only_a_webhook_nobody_is_asked_and_the_log_says_why_once(
    flow: Flow, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(flow, monkeypatch, SLACK_BOT_TOKEN="", SLACK_WEBHOOK_URL=flow.sink.webhook_url)

    flow.signin("e-1")
    flow.signin("e-2")

    alerts = [r.json for r in flow.sink.delivered]
    assert len(alerts) == 2 and not any("asked" in rendered(a) for a in alerts)
    assert all("confirm_state" not in flow.state(e) for e in ("e-1", "e-2"))
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    off = [line for line in lines if line.get("message") == "confirmations off"]
    assert len(off) == 1 and "SLACK_BOT_TOKEN" in off[0]["reason"]


def test_questions_are_off_unless_enabled(flow: Flow, monkeypatch: pytest.MonkeyPatch) -> None:
    configure(flow, monkeypatch, CONFIRM_ENABLED="")

    flow.signin("e-1")

    assert flow.dms() == [] and "asked" not in rendered(flow.channel_posts()[0])


def test_an_email_name_is_looked_up_once_per_container(
    flow: Flow, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(flow, monkeypatch, SLACK_USER_MAP="")
    flow.sink.users_by_email["carol@example.com"] = "U0CAROL"

    flow.signin("e-1", user="carol@example.com")
    flow.signin("e-2", user="carol@example.com")
    flow.signin("e-3", user="dave@example.com")
    flow.signin("e-4", user="dave@example.com")

    lookups = [r.json["email"] for r in flow.calls("users.lookupByEmail")]
    assert lookups == ["carol@example.com", "dave@example.com"]  # a miss is cached too
    assert flow.state("e-2")["confirm_user"] == "U0CAROL"
    assert "no Slack user mapped" in rendered(flow.channel_posts()[-1])
    assert flow.channel_posts()[0]["channel"] == CHANNEL


# --- what the ledger tells later ----------------------------------------------------------


def test_recent_logins_and_the_digest_tell_each_answer(flow: Flow) -> None:
    times = {name: START + timedelta(seconds=n) for n, name in enumerate(["yes", "no", "silent"])}
    for name, at in times.items():
        asked(flow, name, at=at)
    times["info"] = START + timedelta(seconds=5)
    flow.signin("info", mfa=True, at=times["info"])  # INFO: not asked
    flow.click(WAS_ME, "yes")
    flow.click(NOT_ME, "no")
    flow.clock.advance(minutes=20)
    flow.sweep()

    body = urlencode(
        {"team_id": TEAM_ID, "user_id": MALLORY, "channel_id": CHANNEL, "text": "since 30d"}
    ).encode()
    stamp = int(flow.clock.time())
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": str(stamp),
        "X-Slack-Signature": sign(SIGNING_SECRET, stamp, body),
    }
    listing = json.loads(
        flow.client.http.post("/slack/recent-logins", headers=headers, body=body).body
    )

    lines = "\n".join(b["text"]["text"] for b in listing["blocks"] if b["type"] == "section")
    mark = {
        name: next(line for line in lines.split("\n") if f"<!date^{int(at.timestamp())}^" in line)
        for name, at in times.items()
    }
    assert mark["yes"].endswith(":ok_hand: confirmed")
    assert mark["no"].endswith(":rotating_light: *denied*")
    assert mark["silent"].endswith(":hourglass: unanswered")
    assert mark["info"].endswith("· not asked")
    digest = digest_message(app_module.container.day_tally.read(START.date()))
    assert "asked 3: 1 confirmed, 1 denied, 1 unanswered" in digest["text"]


def test_a_new_ip_asks_even_below_the_minimum_severity(
    flow: Flow, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(flow, monkeypatch, CONFIRM_MIN_SEVERITY="CRITICAL")
    places = [("e-home", "8.8.8.8"), ("e-same", "8.8.8.8"), ("e-new", "9.9.9.9")]

    for hours, (event_id, ip) in enumerate(places):  # the first sets the baseline
        at = START + timedelta(hours=hours)
        event = console_login(event_id, at, user="alice", ip=ip, success=True, mfa=True)
        flow.invoke(event)

    assert [dm["blocks"][-1]["elements"][0]["value"] for dm in flow.dms()] == ["e-new"]
    assert flow.state("e-new")["confirm_state"] == "asked"
    assert "confirm_state" not in flow.state("e-same")


def test_a_ledger_outage_during_an_answer_is_a_200_with_an_apology(flow: Flow) -> None:
    asked(flow)
    flow.dynamodb.delete_table(TableName=TABLE)

    reply = flow.click(WAS_ME, "e-1")

    assert (reply.status, reply.body) == (200, b"")
    [ephemeral] = flow.ephemerals()
    assert "could not be recorded" in ephemeral["text"]
