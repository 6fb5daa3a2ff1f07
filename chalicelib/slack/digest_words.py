"""The digest's counted words in each MESSAGE_LANGUAGE: English nouns agree with their
count ("1 new country", "2 new countries"); Korean has no plural and counts with a
counter word ("새 국가 1곳")."""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.settings import Language

# (one, many) in English; the Korean phrase with its counter, `{n}` the count.
ENGLISH = {
    "signin": ("sign-in", "sign-ins"),
    "new_ip": ("new IP", "new IPs"),
    "new_country": ("new country", "new countries"),
    "burst": ("burst", "bursts"),
}
KOREAN = {
    "signin": "로그인 {n}건",
    "new_ip": "새 IP {n}개",
    "new_country": "새 국가 {n}곳",
    "burst": "버스트 {n}건",
}


def counted(count: int, noun: str, language: Language = Language.EN) -> str:
    if language is Language.KO:
        return KOREAN[noun].format(n=f"{count:,}")
    one, many = ENGLISH[noun]
    return f"{count:,} {one if count == 1 else many}"


def digest_title(day: str, language: Language) -> str:
    return f"{day} 로그인 요약" if language is Language.KO else f"Sign-in digest for {day}"


def headline(day: str, t: Mapping[str, int], language: Language) -> str:
    """The digest's top-level text: what a phone shows."""
    places = ", ".join(counted(t[name], name, language) for name in ("new_ip", "new_country"))
    bursts = counted(t["bursts"], "burst", language)
    signins = counted(t["signins"], "signin", language)
    if language is Language.KO:
        return (
            f"INFO: {digest_title(day, language)}: {signins} (성공 {t['success']:,}, "
            f"실패 {t['failure']:,}, 알 수 없음 {t['unknown']:,}), 루트 {t['root']:,}건, "
            f"MFA 없이 성공 {t['without_mfa']:,}건, {places}, {bursts}"
        )
    return (
        f"INFO: sign-in digest for {day}: {signins} ({t['success']} success, "
        f"{t['failure']} failure, {t['unknown']} unknown), {t['root']} root, "
        f"{t['without_mfa']} without MFA, {places}, {bursts}"
    )
