"""The organization bench's DynamoDB: an HTTP server speaking DynamoDB's JSON protocol
for the calls `/recent-logins` makes (Query, BatchGetItem; GetItem of the roster), over
`OrganizationLedger`s, with a latency model: each call takes `--call-ms` plus
`--ms-per-mb` for each MB it returns, or its own work's time if that is longer.

    .venv/bin/python -m bench.org_emulator --port 5000 --sizes 1000 1000000

The handler's botocore client serializes, sends and parses every call for real; only
DynamoDB's service time and the network are modelled.
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import sys
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bench.org_ledger import BATCH_BYTES, OrganizationLedger

_KEY = re.compile(r"^(#\w+) = (:\w+) AND (#\w+) (>=|BETWEEN) (:\w+)(?: AND (:\w+))?$")
_CONTAINS = re.compile(r"^contains\((#\w+), (:\w+)\)$")
_EQUALS = re.compile(r"^(#\w+) = (:\w+)$")


class Model:
    def __init__(self, ledgers: dict[str, OrganizationLedger], call_ms: float, per_mb: float):
        self.ledgers = ledgers
        self.call_ms = call_ms
        self.per_mb = per_mb
        self._texts: dict[str, dict[tuple[str, str], str]] = {}

    def query(self, request: dict[str, Any]) -> dict[str, Any]:
        ledger = self.ledgers[request["TableName"]]
        names = request.get("ExpressionAttributeNames", {})
        values = request.get("ExpressionAttributeValues", {})
        match = _KEY.match(request["KeyConditionExpression"])
        if match is None:
            raise ValueError(f"not a read /recent-logins makes: {request}")
        partition = values[match.group(2)]["S"]
        low = int(values[match.group(5)]["S"][:10])
        high = int(values[match.group(6)]["S"][:10]) if match.group(6) else 2**62
        filters = []
        for part in filter(None, request.get("FilterExpression", "").split(" AND ")):
            found = _CONTAINS.match(part) or _EQUALS.match(part)
            if found is None:
                raise ValueError(f"a filter /recent-logins does not make: {part}")
            operator = "contains" if part.startswith("contains") else "="
            filters.append((names[found.group(1)], operator, values[found.group(2)]["S"]))
        start_key = request.get("ExclusiveStartKey")
        start = int(start_key["at"]["S"].split("#org-")[1]) if start_key else None
        numbers, read, last = ledger.query(
            request["IndexName"],
            partition,
            low,
            high,
            start=start,
            limit=request.get("Limit"),
            filters=filters,
            forward=request.get("ScanIndexForward", True),
        )
        projected = [
            names.get(name.strip(), name.strip())
            for name in request.get("ProjectionExpression", "").split(",")
            if name.strip()
        ]
        items = []
        for number in numbers:
            item = ledger.item(number)
            items.append({n: item[n] for n in projected if n in item} if projected else item)
        response: dict[str, Any] = {"Items": items, "Count": len(items), "ScannedCount": read}
        if last is not None:
            item = ledger.item(last)
            hash_name = names[match.group(1)]
            response["LastEvaluatedKey"] = {
                n: item[n] for n in ("pk", "sk", "at", hash_name) if n in item
            }
        return response

    def get_item(self, request: dict[str, Any]) -> dict[str, Any]:
        """The organization's roster, which the handler reads once a day (the bench's
        ledger holds none: its accounts go by number), or any item the model holds."""
        ledger = self.ledgers[request["TableName"]]
        key = (request["Key"]["pk"]["S"], request["Key"]["sk"]["S"])
        return {"Item": ledger.items[key]} if key in ledger.items else {}

    def batch_get(self, request: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = json.loads(self.batch_get_text(request))
        return answer

    def batch_get_text(self, request: dict[str, Any]) -> str:
        """The answer as JSON text, from each item's text serialized once: day counters
        and catalog shards do not change while the bench reads them."""
        responses: dict[str, list[str]] = {}
        unprocessed: dict[str, Any] = {}
        size = 0
        for table, asked in request["RequestItems"].items():
            texts = self._texts.setdefault(table, {})
            ledger = self.ledgers[table]
            names = asked.get("ExpressionAttributeNames", {})
            projected = [
                names.get(name.strip(), name.strip())
                for name in asked.get("ProjectionExpression", "").split(",")
                if name.strip()
            ]
            for position, key in enumerate(asked["Keys"]):
                found = (key["pk"]["S"], key["sk"]["S"])
                text = self._item_text(ledger, found, texts, projected)
                if text is None:
                    continue
                size += len(text)
                if size > BATCH_BYTES:
                    unprocessed[table] = {"Keys": asked["Keys"][position:]}
                    break
                responses.setdefault(table, []).append(text)
        listed = ", ".join(
            f"{json.dumps(table)}: [{', '.join(items)}]" for table, items in responses.items()
        )
        return f'{{"Responses": {{{listed}}}, "UnprocessedKeys": {json.dumps(unprocessed)}}}'

    @staticmethod
    def _item_text(
        ledger: OrganizationLedger,
        key: tuple[str, str],
        texts: dict[tuple[str, str], str],
        projected: list[str],
    ) -> str | None:
        """An item as JSON text: a sign-in's built from its number (`EVENT#org-N`),
        the others' serialized once (they do not change while the bench reads)."""
        if key[0].startswith("EVENT#org-"):
            number = int(key[0].removeprefix("EVENT#org-"))
            if key[1] != "EVENT" or not 0 <= number < len(ledger.epochs):
                return None
            item = ledger.item(number)
        elif key in ledger.items:
            if not projected:
                if key not in texts:
                    texts[key] = json.dumps(ledger.items[key])
                return texts[key]
            item = ledger.items[key]
        else:
            return None
        if projected:
            item = {name: item[name] for name in projected if name in item}
        return json.dumps(item)


def handler_for(model: Model) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in two writes: without this, Nagle's algorithm
            # and the client's delayed ACK add 40 ms to every call, which DynamoDB's
            # HTTPS endpoint does not.
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_POST(self) -> None:
            started = time.perf_counter()
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            operation = self.headers.get("X-Amz-Target", "").rsplit(".", 1)[-1]
            try:
                if operation == "Query":
                    data = json.dumps(model.query(body)).encode()
                elif operation == "BatchGetItem":
                    data = model.batch_get_text(body).encode()
                elif operation == "GetItem":
                    data = json.dumps(model.get_item(body)).encode()
                else:
                    raise ValueError(f"{operation} is not a call /recent-logins makes")
                status = 200
            except (ValueError, KeyError) as error:
                status = 400
                error_body = {"__type": "ValidationException", "message": str(error)}
                data = json.dumps(error_body).encode()
            modelled = (model.call_ms + model.per_mb * len(data) / 1_000_000) / 1000
            spent = time.perf_counter() - started
            time.sleep(max(0.0, modelled - spent))
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.0")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--sizes", type=int, nargs="+", required=True)
    parser.add_argument("--now", type=float, required=True)
    parser.add_argument("--call-ms", type=float, default=5.0)
    parser.add_argument("--ms-per-mb", type=float, default=13.0)
    args = parser.parse_args()
    now = datetime.fromtimestamp(args.now, UTC)
    ledgers = {}
    for size in args.sizes:
        started = time.monotonic()
        ledgers[f"bench-org-{size}"] = ledger = OrganizationLedger(size, now=now)
        print(
            f"built {size:,} sign-ins of {ledger.principals:,} principals in "
            f"{ledger.accounts} accounts in {time.monotonic() - started:.0f} s",
            file=sys.stderr,
            flush=True,
        )
    model = Model(ledgers, args.call_ms, args.ms_per_mb)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler_for(model))
    print("ready", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
