"""What is new about where a sign-in came from: a new IP, a new country, impossible travel."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Places:
    new_ip: bool = False
    new_country: bool = False
    country: str | None = None
    baseline: bool = False  # the principal's first sign-in ever: recorded silently
    travel_from: str | None = None  # the other country, when it is "impossible travel"
    travel_minutes: int = 0

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
