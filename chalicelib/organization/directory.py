"""The organization, cached per container: loaded from the ledger in the read a sign-in
already makes (its key joins the gather), refreshed from Organizations when the copy is
a day old or an account the copy does not know signs in, and stored back in the
sign-in's own commit. So a known account's sign-in costs no call at all, and an
unknown one at most one read of Organizations per `refresh_minutes` per container: a
flood of outsiders' events cannot make the app call Organizations per event.

`/recent-logins` and the digest only read the ledger's copy (`stored.StoredRoster`):
they never wait for Organizations."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from chalicelib.organization.reader import OrganizationReader
from chalicelib.organization.roster import Roster, RosterStatus
from chalicelib.organization.stored import RosterTooLarge, roster_of, roster_put
from chalicelib.organization.trust import placed
from chalicelib.signin.parse import SignIn
from chalicelib.store.attributes import DAY_SECONDS, Write
from chalicelib.store.schema import organization_key

log = logging.getLogger(__name__)

Lookup = Callable[[Mapping[str, Any]], Mapping[str, Any] | None]


class AccountDirectory:
    def __init__(
        self,
        reader: Callable[[], OrganizationReader],
        table: str,
        *,
        names: Mapping[str, str],
        refresh_minutes: float,
        home: Callable[[], str],
    ) -> None:
        self._reader = reader  # a factory: no Organizations client until one is needed
        self._table = table
        self._names = names  # ACCOUNT_NAMES: overrides Organizations' names
        self._interval = refresh_minutes * 60
        self._home = home
        self._roster: Roster | None = None
        self._loaded_at = float("-inf")  # when this container last read the ledger's copy
        self._looked_at = float("-inf")  # when an unknown account last made it ask
        self._wanted = False  # the running sign-in's gather reads the ledger's copy
        self._unsaved: Roster | None = None  # read from Organizations, not yet committed

    @property
    def roster(self) -> Roster:
        return self._roster or Roster()

    def keys(self, signin: SignIn, *, now: float) -> list[dict[str, Any]]:
        """The ledger copy's key when this sign-in needs it: the container's first, a
        day after the last load, after a failed read (every `refresh_minutes`), or an
        account the copy does not know (at most once per `refresh_minutes`)."""
        self._wanted = self._stale(now, since=self._loaded_at) or self._may_look_for(signin, now)
        return [organization_key()] if self._wanted else []

    def place(self, signin: SignIn, lookup: Lookup, *, now: float) -> SignIn:
        """`signin` with its origin, name and OU path, from the copy in the snapshot
        (when `keys` asked for it) or Organizations (when that copy will not do)."""
        if self._wanted:
            self._wanted = False
            self._loaded_at = now
            stored = roster_of(lookup(organization_key()))
            if stored is not None and stored.read_at >= self.roster.read_at:
                self._roster = stored
            if self._stale(now, since=self.roster.read_at):
                self._ask(now)
            elif self._may_look_for(signin, now):
                self._looked_at = now  # a joiner, or an outsider: asked once per interval
                self._ask(now)
        return placed(signin, self.roster, home=self._home(), names=self._names)

    def writes(self) -> list[Write]:
        """The roster read from Organizations, for the sign-in's commit to store."""
        if self._unsaved is None:
            return []
        try:
            return [roster_put(self._table, self._unsaved)]
        except RosterTooLarge as error:
            log.warning("organization kept in memory only: %s", error)
            self._unsaved = None
            return []

    def committed(self) -> None:
        self._unsaved = None

    def _stale(self, now: float, *, since: float) -> bool:
        roster = self._roster
        if roster is None or now - since >= DAY_SECONDS:
            return True
        return roster.status is RosterStatus.FAILED and now - since >= self._interval

    def _may_look_for(self, signin: SignIn, now: float) -> bool:
        """An account the organization's copy does not know, and this container has not
        looked one up within the interval."""
        roster = self._roster
        unknown = (
            roster is not None and roster.known and not roster.active_member(signin.account_id)
        )
        return unknown and now - self._looked_at >= self._interval

    def _ask(self, now: float) -> None:
        fresh = self._reader().read(now=now)
        previous = self._roster
        if fresh.status is RosterStatus.FAILED and previous is not None and previous.known:
            # Keep the names we have; look again after the interval, not in a day.
            self._loaded_at = min(self._loaded_at, now - DAY_SECONDS + self._interval)
            return
        if fresh.status is not RosterStatus.READ and (
            previous is None or previous.status is not fresh.status
        ):
            # Said once: the copy stored below keeps other containers from asking.
            log.warning("organization not read (%s): %s", fresh.status.value, fresh.status.reason)
        self._roster = fresh
        self._unsaved = fresh
