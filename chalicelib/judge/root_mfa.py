"""One root sign-in with MFA is two records: `CheckMfa` (the password was accepted, MFA
asked) and then `ConsoleLogin`. One message tells both: the ConsoleLogin's, carrying the
CheckMfa's MFA type and device. A CheckMfa that no ConsoleLogin follows within
ROOT_MFA_WAIT_MINUTES alerts by itself (the minute sweep): someone knows the root
password and did not pass MFA.

Pure: the pairing of one record with what the ledger holds for its principal and IP
(`PairState`), as a value; `store/root_mfa.py` reads and writes it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from chalicelib.judge.rules import Verdict
from chalicelib.judge.rules.base import CONSOLE_LOGIN
from chalicelib.severity import Severity
from chalicelib.signin.parse import Mfa, Result, SignIn

CHECK_MFA = "CheckMfa"
# Recent sign-ins' times kept per principal and IP, for CheckMfa records arriving late.
MAX_LOGINS = 5
UNFOLLOWED_TITLE = "Root password accepted, but no sign-in followed"


class CheckState(StrEnum):
    WAITING = "waiting"  # no sign-in yet: a ConsoleLogin folds it, else the sweep alerts
    FOLDED = "folded"  # its ConsoleLogin's alert tells it
    ALERTING = "alerting"  # a sweep claimed it and is posting
    ALERTED = "alerted"  # the sweep posted it


class Pairing(StrEnum):
    """What a record is in the pairing: a value the decision branches on."""

    NONE = "none"  # neither a root CheckMfa nor a root ConsoleLogin success
    WAIT = "wait"  # a root CheckMfa with no sign-in yet: it waits for one
    SUPERSEDED = "superseded"  # a root CheckMfa while a later one waits: that one tells it
    FOLLOWED = "followed"  # a root CheckMfa whose ConsoleLogin was handled first
    FOLD = "fold"  # a root ConsoleLogin that carries its waiting CheckMfa
    LOGIN = "login"  # a root ConsoleLogin with no CheckMfa waiting: kept for a late one


@dataclass(frozen=True)
class MfaCheck:
    """A root CheckMfa as the pairing keeps it."""

    event_id: str
    epoch: int  # its eventTime
    mfa_type: str = ""  # `MfaType`: "U2F MFA", "Virtual MFA", ...
    device: str = ""  # `MFAIdentifier`: the device's ARN
    state: CheckState = CheckState.WAITING
    due: int = 0  # wall-clock epoch from which the sweep may alert it
    message: str = ""  # its own alert (JSON), posted by the sweep; empty: it never alerts
    channel: str = ""
    lease: float = 0.0  # a sweep's claim, until this wall-clock time


@dataclass(frozen=True)
class PairState:
    """What the ledger holds for one root principal and source IP."""

    version: int = 0  # 0: nothing stored yet
    logins: tuple[int, ...] = ()  # eventTimes of recent root sign-ins, oldest first
    check: MfaCheck | None = None


@dataclass(frozen=True)
class PairDecision:
    pairing: Pairing
    state: PairState | None = None  # what to store (None: nothing changes)
    check: MfaCheck | None = None  # FOLD: the CheckMfa the sign-in carries
    dropped: MfaCheck | None = None  # a waiting CheckMfa no longer due to the sweep


def is_root_check_mfa(signin: SignIn) -> bool:
    """A root CheckMfa that succeeded; any other root record stays never quiet."""
    return signin.is_root and signin.event_name == CHECK_MFA and signin.outcome is Result.SUCCESS


def is_root_signin(signin: SignIn) -> bool:
    return (
        signin.is_root and signin.event_name == CONSOLE_LOGIN and signin.outcome is Result.SUCCESS
    )


def takes_part(signin: SignIn) -> bool:
    return is_root_check_mfa(signin) or is_root_signin(signin)


def follows(check_epoch: int, login_epoch: int, wait_seconds: int) -> bool:
    """The sign-in is the CheckMfa's own: at or after it, within the wait."""
    return check_epoch <= login_epoch <= check_epoch + wait_seconds


def pair(
    signin: SignIn,
    state: PairState,
    *,
    wait_seconds: int,
    now: float,
    message: str = "",
    channel: str = "",
) -> PairDecision:
    """Pair `signin` with the stored state. `message`, `channel`: a CheckMfa's own
    alert, should no sign-in follow it; `now` (wall clock) starts its wait."""
    epoch = int(signin.event_time.timestamp())
    version = state.version + 1
    stored = state.check
    if is_root_check_mfa(signin):
        if any(follows(epoch, login, wait_seconds) for login in state.logins):
            return PairDecision(Pairing.FOLLOWED)
        if (
            stored is not None
            and stored.state is CheckState.WAITING
            and stored.epoch > epoch
            and stored.event_id != signin.event_id
        ):
            return PairDecision(Pairing.SUPERSEDED)
        check = MfaCheck(
            signin.event_id,
            epoch,
            signin.mfa_type if signin.mfa_source == "MfaType" else "",
            signin.mfa_device,
            due=int(now) + wait_seconds,
            message=message,
            channel=channel,
        )
        dropped = stored if stored is not None and stored.state is CheckState.WAITING else None
        waiting = replace(state, version=version, check=check)
        return PairDecision(Pairing.WAIT, waiting, dropped=dropped)
    if is_root_signin(signin):
        logins = tuple(sorted({*state.logins, epoch}))[-MAX_LOGINS:]
        if (
            stored is not None
            and stored.state is CheckState.WAITING
            and follows(stored.epoch, epoch, wait_seconds)
        ):
            folded = replace(stored, state=CheckState.FOLDED)
            return PairDecision(Pairing.FOLD, PairState(version, logins, folded), stored, stored)
        return PairDecision(Pairing.LOGIN, PairState(version, logins, stored))
    return PairDecision(Pairing.NONE)


def with_check(signin: SignIn, check: MfaCheck) -> SignIn:
    """The sign-in as its alert tells it: with the CheckMfa's MFA type and device. A
    sign-in whose own record says "no MFA" keeps saying so."""
    if signin.mfa is Mfa.NO:
        return signin
    details = (check.mfa_type, check.device, signin.mfa_type, signin.mfa_device)
    detail = ", ".join(dict.fromkeys(part for part in details if part))
    source = signin.mfa_source if signin.mfa is Mfa.YES else CHECK_MFA
    return replace(signin, mfa=Mfa.YES, mfa_type=detail, mfa_source=source)


def folded_reason(check: MfaCheck) -> str:
    asked = f" ({check.mfa_type})" if check.mfa_type else ""
    return f"MFA checked{asked} by CheckMfa {check.event_id}"


def unfollowed(signin: SignIn, wait_minutes: float) -> tuple[SignIn, Verdict]:
    """A root CheckMfa's own alert, should no sign-in follow it: the password is known
    to someone who did not pass MFA. MFA reads "no": it was asked, never passed."""
    asked = f" ({signin.mfa_type})" if signin.mfa_type else ""
    reason = (
        f"root password accepted from IP {signin.source_ip}, but no sign-in followed "
        f"within {wait_minutes:g} minutes: someone who knows the password did not pass "
        f"MFA{asked}"
    )
    told = replace(signin, mfa=Mfa.NO, mfa_type="", mfa_source=CHECK_MFA)
    return told, Verdict(Severity.HIGH, UNFOLLOWED_TITLE, (reason,), alert=True)
