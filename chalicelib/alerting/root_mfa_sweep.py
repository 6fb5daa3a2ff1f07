"""The minute sweep for root CheckMfa records that no ConsoleLogin followed within
ROOT_MFA_WAIT_MINUTES: each posts its own HIGH alert (built when it was recorded), once.

Each is claimed with a conditional write on its pairing item before it is posted, so two
sweeps at the same moment post it once, and a ConsoleLogin deciding at that moment
decides again (and alerts by itself). A post that fails gives the claim back for the
next sweep.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from chalicelib import logs
from chalicelib.clock import Clock
from chalicelib.slack.delivery import SlackNotifier
from chalicelib.store.root_mfa import RootMfaStore

# What one alert needs: a post and the writes around it.
ONE_ALERT_SECONDS = 2.0
# An alert waits at most this long for the channel's send slot; the next sweep retries.
SLOT_WAIT_SECONDS = 1.0


@dataclass
class RootMfaSwept:
    due: int = 0
    alerted: int = 0
    failed: int = 0
    skipped: int = 0

    def to_dict(self) -> dict[str, int]:
        return {
            "root_mfa_due": self.due,
            "root_mfa_alerted": self.alerted,
            "root_mfa_failed": self.failed,
            "root_mfa_skipped": self.skipped,
        }


class RootMfaWaits:
    def __init__(
        self,
        store: RootMfaStore,
        *,
        notifier: Callable[[], SlackNotifier],
        clock: Clock,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._notifier = notifier
        self._clock = clock
        self._monotonic = monotonic

    def sweep(self, *, deadline: float) -> RootMfaSwept:
        swept = RootMfaSwept()
        for line in self._store.due(self._clock().timestamp()):
            swept.due += 1
            if self._monotonic() + ONE_ALERT_SECONDS > deadline:
                break  # the next run, a minute from now, takes the rest
            now = self._clock().timestamp()
            check = self._store.claim(line, now=now)
            if check is None:
                if not self._store.is_live(line, now=now):
                    self._store.forget(line)  # folded, posted or replaced: nothing owed
                swept.skipped += 1
                continue
            try:
                self._notifier().post(
                    json.loads(check.message),
                    channel=check.channel or None,
                    deadline=deadline,
                    max_wait=SLOT_WAIT_SECONDS,
                )
            except Exception as error:  # Slack down or slow: released for the next sweep
                self._store.release(check, line)
                swept.failed += 1
                logs.emit(
                    {
                        "message": "root CheckMfa alert not posted",
                        "event_id": check.event_id,
                        "error": type(error).__name__,
                    }
                )
                continue
            self._store.alerted(line, check)
            swept.alerted += 1
        logs.emit({"message": "root_mfa_waits", **swept.to_dict()})
        return swept
