"""What is new about where a sign-in came from: a new IP, a new country, impossible travel.

A pure judgement of what the ledger remembers about the principal (`Seen`): a principal
with no history at all is a silent baseline, so a new deployment does not flag everyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Novelty(StrEnum):
    """What is new; the values are also the day's counter names."""

    NEW_IP = "new_ip"
    NEW_COUNTRY = "new_country"
    IMPOSSIBLE_TRAVEL = "impossible_travel"


@dataclass(frozen=True)
class Places:
    new_ip: bool = False
    new_country: bool = False
    country: str | None = None
    baseline: bool = False  # the principal's first sign-in ever: recorded silently
    travel_from: str | None = None  # the other country, when it is "impossible travel"
    travel_minutes: int = 0

    @property
    def flags(self) -> frozenset[Novelty]:
        found = set()
        if self.new_ip:
            found.add(Novelty.NEW_IP)
        if self.new_country:
            found.add(Novelty.NEW_COUNTRY)
        if self.travel_from:
            found.add(Novelty.IMPOSSIBLE_TRAVEL)
        return frozenset(found)

    @property
    def reasons(self) -> tuple[str, ...]:
        reasons = []
        if self.new_ip:
            reasons.append("new IP")
        if self.new_country:
            reasons.append(f"new country ({self.country})")
        if self.travel_from:
            reasons.append(
                f"impossible travel: {self.travel_from} then {self.country} "
                f"within {self.travel_minutes} min"
            )
        return tuple(reasons)


@dataclass(frozen=True)
class Seen:
    """What the ledger remembers of a principal's places, read before the sign-in."""

    principal: bool  # any earlier sign-in at all
    ip: bool
    country: bool
    last_country: str = ""
    last_epoch: int = 0


def judge_places(seen: Seen, *, country: str | None, epoch: int, travel_seconds: int) -> Places:
    if not seen.principal:
        return Places(country=country, baseline=True)
    travel_from, minutes = None, 0
    gap = abs(epoch - seen.last_epoch)
    moved = bool(country) and seen.last_country not in ("", country) and seen.last_epoch > 0
    if moved and gap <= travel_seconds:
        travel_from, minutes = seen.last_country, max(1, round(gap / 60))
    return Places(
        new_ip=not seen.ip,
        new_country=bool(country) and not seen.country,
        country=country,
        travel_from=travel_from,
        travel_minutes=minutes,
    )
