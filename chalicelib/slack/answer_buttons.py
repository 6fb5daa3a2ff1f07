"""The "Was this you?" buttons, wherever a question is shown (the DM, the Home tab):
one set of action ids the answer handler knows, and the same guard on "No"."""

from __future__ import annotations

from typing import Any

WAS_ME = "signin_was_me"
NOT_ME = "signin_not_me"


def answer_buttons(event_id: str, *, block_id: str | None = None) -> dict[str, Any]:
    """An actions block: "Yes, it was me" and "No, it was not me" for the sign-in
    `event_id`; "No" asks once more, as one misclick must not page the security team."""
    block: dict[str, Any] = {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": WAS_ME,
                "style": "primary",
                "text": {"type": "plain_text", "text": "Yes, it was me"},
                "value": event_id,
            },
            {
                "type": "button",
                "action_id": NOT_ME,
                "style": "danger",
                "text": {"type": "plain_text", "text": "No, it was not me"},
                "value": event_id,
                "confirm": {
                    "title": {"type": "plain_text", "text": "Not you?"},
                    "text": {
                        "type": "plain_text",
                        "text": "The security team will be alerted now.",
                    },
                    "confirm": {"type": "plain_text", "text": "It was not me"},
                    "deny": {"type": "plain_text", "text": "Go back"},
                    "style": "danger",
                },
            },
        ],
    }
    if block_id is not None:
        block["block_id"] = block_id
    return block
