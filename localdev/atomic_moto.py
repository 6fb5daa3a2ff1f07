"""Make in-process moto answer one request at a time, as DynamoDB applies each
single-item write atomically.

moto's DynamoDB backend has no locks: two threads that `ADD` to the same item at once
can lose an increment, which real DynamoDB never does. Tests and the bench that run
several "Lambda instances" on threads serialise moto's request dispatch with this, so
what they measure is our concurrency, not moto's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def atomic_moto() -> Iterator[None]:
    from moto.core.botocore_stubber import BotocoreStubber

    original: Callable[..., Any] = BotocoreStubber.__call__
    lock = threading.RLock()

    def serialised(self: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
        with lock:
            return original(self, event_name, request, **kwargs)

    BotocoreStubber.__call__ = serialised  # type: ignore[method-assign]
    try:
        yield
    finally:
        BotocoreStubber.__call__ = original  # type: ignore[method-assign]
