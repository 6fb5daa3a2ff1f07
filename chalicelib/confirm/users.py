"""Who is asked about a sign-in: the Slack user behind its principal.

`SLACK_USER_MAP` first (globs on the ARN or the display name, first match wins, as
`WATCH_PRINCIPALS`), else, when the principal's name is an e-mail address (Identity
Center and SAML user names often are), `users.lookupByEmail`, remembered per container:
a hit for an hour, a miss for a few minutes (someone may be added to Slack).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from chalicelib.confirm.slack_api import SlackApi, SlackCallFailed
from chalicelib.judge.rules import matches_any
from chalicelib.settings import SLACK_USER_ID
from chalicelib.signin.parse import SignIn

log = logging.getLogger(__name__)

HIT_SECONDS = 3600.0
MISS_SECONDS = 300.0
MAX_CACHED = 1000
# An address as directories write it; anything else is not worth a lookup.
_EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+$")


class Found(StrEnum):
    MAPPED = "mapped"  # SLACK_USER_MAP
    BY_EMAIL = "by_email"  # users.lookupByEmail
    NOBODY = "nobody"
    LOOKUP_FAILED = "lookup_failed"


@dataclass(frozen=True)
class SlackUser:
    user_id: str  # empty when nobody
    found: Found
    detail: str = ""  # why not, for the log


def email_of(signin: SignIn) -> str | None:
    for candidate in (signin.display_name, signin.arn.rsplit("/", 1)[-1]):
        if candidate and _EMAIL.match(candidate):
            return candidate.lower()
    return None


class UserFinder:
    def __init__(
        self,
        user_map: tuple[tuple[str, str], ...],
        slack: Callable[[], SlackApi],
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._map = user_map
        self._slack = slack  # a factory: a mapped user never builds the client
        self._monotonic = monotonic
        self._cache: dict[str, tuple[str | None, float]] = {}

    def find(self, signin: SignIn) -> SlackUser:
        patterns = [pattern for pattern, _ in self._map]
        matched = matches_any(signin, patterns)
        if matched:
            return SlackUser(next(u for p, u in self._map if p == matched), Found.MAPPED)
        email = email_of(signin)
        if email is None:
            return SlackUser("", Found.NOBODY, "no SLACK_USER_MAP match, name is no e-mail")
        cached = self._cache.get(email)
        now = self._monotonic()
        if cached is not None and cached[1] > now:
            user_id = cached[0]
        else:
            try:
                user_id = self._slack().user_by_email(email)
            except SlackCallFailed as failed:
                log.warning("users.lookupByEmail failed: %s", failed.error)
                return SlackUser("", Found.LOOKUP_FAILED, failed.error)
            if user_id is not None and not SLACK_USER_ID.match(user_id):
                user_id = None
            if len(self._cache) >= MAX_CACHED:
                self._cache.clear()
            self._cache[email] = (user_id, now + (HIT_SECONDS if user_id else MISS_SECONDS))
        if user_id is None:
            return SlackUser("", Found.NOBODY, "no Slack user with this e-mail")
        return SlackUser(user_id, Found.BY_EMAIL)
