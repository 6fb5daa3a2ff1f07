"""How serious a sign-in is: the one scale shared by rules, messages and settings."""

from __future__ import annotations

from enum import IntEnum


class Severity(IntEnum):
    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, raw: str, *, setting: str = "severity") -> Severity:
        try:
            return cls[raw.strip().upper()]
        except KeyError:
            names = ", ".join(member.name for member in cls)
            raise ValueError(f"{setting}: expected one of {names}, got {raw!r}") from None

    def raised(self, levels: int = 1) -> Severity:
        return Severity(min(self + levels, Severity.CRITICAL))
