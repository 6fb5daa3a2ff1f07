"""Commit: the plan's writes in one TransactWriteItems, all or nothing.

The sign-in is recorded, counted and (when it alerts) claimed together. A commit that
loses a race (the event was recorded meanwhile, another instance opened the burst or
saw the place first, a window count moved) writes nothing and says so; the pipeline
then gathers and decides again. So does a commit refused because a new principal's
catalog page is full, once the page has made room (`catalog_pages.make_room`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from chalicelib.store.attributes import Write
from chalicelib.store.catalog_pages import relieve_full_pages

# Reasons DynamoDB gives for a cancelled transaction that another try may get past.
RACE_CODES = frozenset({"ConditionalCheckFailed", "TransactionConflict"})


class Committer:
    def __init__(self, dynamodb: Any) -> None:
        self._db = dynamodb

    def commit(self, writes: Sequence[Write]) -> bool:
        """True when written; False when a race cancelled it, or a full catalog page
        that has room now. Anything else raises."""
        try:
            # The token makes botocore's own retry of a timed-out call idempotent.
            self._db.transact_write_items(
                TransactItems=list(writes), ClientRequestToken=uuid.uuid4().hex
            )
        except self._db.exceptions.TransactionCanceledException as error:
            reasons = getattr(error, "response", {}).get("CancellationReasons") or []
            codes = {reason.get("Code") for reason in reasons} - {"None", None}
            if codes and codes <= RACE_CODES:
                return False
            if relieve_full_pages(self._db, writes, reasons):
                return False
            raise
        return True
