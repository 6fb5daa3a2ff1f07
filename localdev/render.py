"""Block Kit as a person reads it in Slack, for terminals (the demo, the README)."""

from __future__ import annotations

import re
from typing import Any

_DATE = re.compile(r"<!date\^\d+\^[^|>]*\|([^>]*)>")
_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")


def _plain(mrkdwn: str) -> str:
    text = _DATE.sub(r"\1", mrkdwn)
    text = _LINK.sub(r"\2 (\1)", text)
    text = text.replace("*", "")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def render(message: dict[str, Any]) -> str:
    lines = [f"  notification: {_plain(message.get('text', ''))}"]
    blocks = list(message.get("blocks", []))
    for attachment in message.get("attachments", []):
        blocks.extend(attachment.get("blocks", []))
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(f"  ┃ {block['text']['text']}")
        elif kind == "section":
            for field in block.get("fields", []):
                label, _, value = _plain(field["text"]).partition("\n")
                lines.append(f"  ┃ {label + ':':<12} {value}")
            if "text" in block:
                lines.extend(f"  ┃ {line}" for line in _plain(block["text"]["text"]).splitlines())
        elif kind == "context":
            for element in block.get("elements", []):
                lines.append(f"  ┃ {_plain(element.get('text', ''))}")
        elif kind == "actions":
            buttons = [
                f"[ {element['text']['text']} ]"
                for element in block.get("elements", [])
                if element.get("type") == "button"
            ]
            lines.append("  ┃ " + "  ".join(buttons))
    return "\n".join(lines)
