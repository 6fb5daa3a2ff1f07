"""The Home tab's blocks for one viewer: the week (its figures and a text rendering of
the heat map: an image block of an uploaded file in a Home tab is not documented to
render), open bursts, the questions waiting for the viewer with their "Was this you?"
buttons, the last root sign-in, the watchdog's open problems, and buttons that run the
common `/recent-logins` queries, whose answer is shown below them. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chalicelib.home.reads import MAX_QUESTIONS, HomeData, WaitingQuestion
from chalicelib.picture.words import message_text, text_grid
from chalicelib.settings import Settings
from chalicelib.slack.answer_buttons import answer_buttons
from chalicelib.slack.blocks import MAX_SECTION_TEXT, clip, code, inert, safe, slack_date

MAX_VIEW_BLOCKS = 100  # Slack's limit for a Home tab
RESULT_BLOCK_PREFIX = "home_result"  # a query's answer, replaced by the next one
QUERY_ACTION_PREFIX = "home_query_"
# The common /recent-logins queries, each a button: (label, the command's text).
QUERIES = (
    ("Last 24 hours", "24h"),
    ("Failures, 24 hours", "failed 24h"),
    ("Root, 7 days", "root 7d"),
    ("Without MFA, 7 days", "nomfa 7d"),
)


def _section(text: str, block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "section",
        "text": {"type": "mrkdwn", "text": clip(text, MAX_SECTION_TEXT), "verbatim": True},
    }
    if block_id:
        block["block_id"] = block_id
    return block


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": text}}


def _question(question: WaitingQuestion, settings: Settings) -> list[dict[str, Any]]:
    signin = question.signin
    who = code(signin.get("display_name") or signin.get("arn") or "unknown", 120)
    when = signin.get("event_time", "")
    account, ip = safe(signin.get("account_id", ""), 40), code(signin.get("source_ip", ""), 64)
    words = f"{who} in {account} from {ip}"
    if question.asked_at is not None:
        words += f", asked {slack_date(question.asked_at, settings.display_timezone)}"
    elif when:
        words += f", {safe(when, 40)}"
    return [
        _section(f":speech_balloon: Was this you? {words}"),
        answer_buttons(question.event_id),
    ]


def query_buttons() -> dict[str, Any]:
    return {
        "type": "actions",
        "block_id": "home_queries",
        "elements": [
            {
                "type": "button",
                "action_id": f"{QUERY_ACTION_PREFIX}{index}",
                "text": {"type": "plain_text", "text": label},
                "value": text,
            }
            for index, (label, text) in enumerate(QUERIES)
        ],
    }


def _lines(lines: Sequence[str], empty: str) -> str:
    return "\n".join(f"• {inert(line, 300)}" for line in lines) if lines else empty


def home_view(data: HomeData, settings: Settings, last_root_line: str | None) -> dict[str, Any]:
    """`last_root_line`: the root sign-in as `/recent-logins` lists it, or None."""
    blocks: list[dict[str, Any]] = [
        _header("The week at a glance"),
        _section(message_text(data.week, MAX_SECTION_TEXT - 10)),
        _section(f"```{text_grid(data.week)}```"),
        _header("Open bursts"),
        _section(_lines(data.bursts, "No burst is open.")),
        _header("Waiting for you"),
    ]
    if data.questions:  # at most MAX_QUESTIONS: the sections below always fit
        for question in data.questions[:MAX_QUESTIONS]:
            blocks.extend(_question(question, settings))
        if len(data.questions) > MAX_QUESTIONS:
            blocks.append(_section(f"… and {len(data.questions) - MAX_QUESTIONS} more."))
    else:
        blocks.append(_section("No question is waiting for you."))
    blocks.append(_header("Last root sign-in"))
    blocks.append(_section(last_root_line or "No root sign-in is in the ledger."))
    blocks.append(_header("Watchdog"))
    problems = _lines(data.problems, f"No open problem (stage {safe(data.stage, 80)}).")
    blocks.append(_section(problems))
    blocks.append(_header("Sign-ins, as /recent-logins lists them"))
    blocks.append(query_buttons())
    return {"type": "home", "blocks": blocks[:MAX_VIEW_BLOCKS]}


def with_result(view: dict[str, Any], result: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """`view` (as Slack sent it with a click) with a query's answer below the buttons,
    in place of the last one's."""
    kept = [
        block
        for block in view.get("blocks", [])
        if isinstance(block, dict)
        and not str(block.get("block_id", "")).startswith(RESULT_BLOCK_PREFIX)
    ]
    room = MAX_VIEW_BLOCKS - len(kept)
    answer = [
        {**block, "block_id": f"{RESULT_BLOCK_PREFIX}_{index}"}
        for index, block in enumerate(result[: max(0, room)])
    ]
    return {"type": "home", "blocks": kept + answer}
