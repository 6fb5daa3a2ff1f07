"""One principal's entry in the catalog: account, name, WHO text and the principal's
key, tab-separated; and the key read back from it."""

from __future__ import annotations

from chalicelib.store.attributes import base36
from chalicelib.store.schema import CATALOG_SEPARATOR, CATALOG_WHO_CHARACTERS


def catalog_entry(account_id: str, name: str, who: str, principal: str = "") -> str:
    """One principal in the catalog: account, name, WHO text and the principal's key,
    so that its directory item can be read (older entries lack it); tab-separated (a tab
    or a record separator in a field becomes a space, so nothing can split an entry,
    nor a packed shard's entries; a key that held one is not kept: it could not be
    read). A key that is the WHO text's ARN is kept as where its case differs."""
    fields = [account_id, name[:100], who[:CATALOG_WHO_CHARACTERS]]
    fields = [f.replace("\t", " ").replace(CATALOG_SEPARATOR, " ") for f in fields]
    if principal and "\t" not in principal and CATALOG_SEPARATOR not in principal:
        fields.append(_key_field(principal, fields[2].partition("\n")[2]))
    return "\t".join(fields)


def catalog_principal(who: str, field: str) -> str:
    """The principal's key from its catalog entry's WHO text and key field; "": none."""
    if not field.startswith("="):
        return field
    key = list(who.partition("\n")[2])
    for run in filter(None, field[1:].split(",")):
        start, _, length = run.partition(".")
        for position in range(int(start, 36), int(start, 36) + int(length or "1", 36)):
            key[position] = key[position].upper()
    return "".join(key)


def _key_field(principal: str, arn: str) -> str:
    """`=` and the runs (start.length, base 36) where the key is the ARN upper-cased;
    the key itself when it is not the ARN."""
    if principal.lower() != arn or len(principal) != len(arn) or principal.startswith("="):
        return principal
    runs: list[str] = []
    position = 0
    while position < len(principal):
        if principal[position] == arn[position]:
            position += 1
            continue
        start = position
        while position < len(principal) and principal[position] != arn[position]:
            position += 1
        length = position - start
        runs.append(base36(start) + ("" if length == 1 else "." + base36(length)))
    if catalog_principal(f"\n{arn}", "=" + ",".join(runs)) != principal:
        return principal  # a letter whose upper case is not one letter
    return "=" + ",".join(runs)
