"""What EventBridge hands to Lambda targets, kept on the emulator instead of raising.

moto 5.2 runs a Lambda target only with Docker; without it, any event matching a rule
whose target is a function fails the whole `PutEvents` (NotImplementedError), so a
member's forwarded sign-in could never reach the central bus, where the stage's rule
targets its function. `kept_lambda_events()` keeps each (function ARN, event) such a
rule would invoke, in order, and sends the rule's other targets on as moto does; a test
hands what arrived to the handler itself. Scheduled rules get no events from the bus.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

LambdaEvents = list[tuple[str, dict[str, Any]]]


def _is_function(target: dict[str, Any]) -> bool:
    return str(target.get("Arn", "")).split(":")[2:3] == ["lambda"]


@contextmanager
def kept_lambda_events() -> Iterator[LambdaEvents]:
    from moto.events.models import Rule

    kept: LambdaEvents = []
    original = Rule.send_to_targets

    def send_to_targets(self: Any, event: Any, transform_input: bool = True) -> None:
        functions = [t for t in self.targets if _is_function(t)]
        # A scheduled rule has no pattern (moto's empty one matches anything); EventBridge
        # never hands it an event from the bus.
        scheduled = self.scheduled_expression and not self.event_pattern.get_pattern()
        if functions and not scheduled and self.event_pattern.matches_event(event):
            kept.extend((target["Arn"], copy.deepcopy(event)) for target in functions)
        others = copy.copy(self)
        others.targets = [t for t in self.targets if not _is_function(t)]
        original(others, event, transform_input)

    Rule.send_to_targets = send_to_targets  # type: ignore[method-assign,assignment]
    try:
        yield kept
    finally:
        Rule.send_to_targets = original  # type: ignore[method-assign,assignment]
