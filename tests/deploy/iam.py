"""Just enough IAM policy evaluation to ask "would this stage's role allow that call?",
and a recorder of the AWS calls code really makes (botocore's own `before-call` hook
on every client created while recording)."""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import botocore.session

ACCOUNT = "123456789012"  # moto's account


@dataclass(frozen=True)
class Call:
    """One AWS API call as IAM sees it: action, resource and condition context."""

    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _conditions_hold(condition: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    for operator, tests in condition.items():
        if operator not in ("StringEquals", "ArnEquals", "ArnLike", "StringLike"):
            return False  # an operator we do not evaluate never counts as allowing
        for key, wanted in tests.items():
            actual = context.get(key)
            if actual is None or not any(
                fnmatch.fnmatchcase(actual, pattern) for pattern in _as_list(wanted)
            ):
                return False
    return True


def allows(policy: Mapping[str, Any], call: Call) -> bool:
    """True when an Allow statement covers the call and no Deny does."""
    context = dict(call.context)

    def covers(statement: Mapping[str, Any]) -> bool:
        actions = _as_list(statement.get("Action", []))
        resources = _as_list(statement.get("Resource", []))
        return (
            any(fnmatch.fnmatchcase(call.action.lower(), a.lower()) for a in actions)
            and any(fnmatch.fnmatchcase(call.resource, r) for r in resources)
            and _conditions_hold(statement.get("Condition", {}), context)
        )

    statements = policy["Statement"]
    if any(s["Effect"] == "Deny" and covers(s) for s in statements):
        return False
    return any(s["Effect"] == "Allow" and covers(s) for s in statements)


def calls_for(service: str, operation: str, params: Mapping[str, Any], region: str) -> list[Call]:
    """The IAM requests behind one API call (a SecureString read is also a KMS decrypt
    that SSM makes on the caller's behalf)."""
    action = f"{service}:{operation}"
    if service == "dynamodb":
        return _dynamodb_calls(operation, params, region)
    if service == "ssm" and "Name" in params:
        name = str(params["Name"]).lstrip("/")
        calls = [Call(action, f"arn:aws:ssm:{region}:{ACCOUNT}:parameter/{name}")]
        if params.get("WithDecryption"):
            calls.append(
                Call(
                    "kms:Decrypt",
                    f"arn:aws:kms:{region}:{ACCOUNT}:key/aws-ssm-default",
                    (("kms:ViaService", f"ssm.{region}.amazonaws.com"),),
                )
            )
        return calls
    resource = _resource_of(service, operation, params, region)
    # Any other call: only an unscoped grant would allow it.
    return [Call(action, resource or "*")]


def _resource_of(service: str, operation: str, params: Mapping[str, Any], region: str) -> str:
    """The resource ARN IAM checks for the watchdog's reads (empty: not resource-scoped)."""
    if service == "events" and (params.get("Name") or params.get("Rule")):
        return f"arn:aws:events:{region}:{ACCOUNT}:rule/{params.get('Name') or params['Rule']}"
    if service == "cloudformation" and params.get("StackSetName"):
        # A stack set's ARN ends in its id, which a policy matches with `:*`.
        name = params["StackSetName"]
        return f"arn:aws:cloudformation:{region}:{ACCOUNT}:stackset/{name}:0000-id"
    if service == "sqs":
        name = params.get("QueueName") or str(params.get("QueueUrl", "")).rsplit("/", 1)[-1]
        return f"arn:aws:sqs:{region}:{ACCOUNT}:{name}" if name else ""
    if service == "cloudtrail" and operation != "DescribeTrails":
        trail = str(params.get("Name") or params.get("TrailName") or "")
        return (
            trail
            if trail.startswith("arn:")
            else f"arn:aws:cloudtrail:{region}:{ACCOUNT}:trail/{trail}"
        )
    return ""


# A transaction is authorised item by item, as the single-item action of each part.
TRANSACT_PART_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


def _table_arn(region: str, table: str, index: str | None = None) -> str:
    arn = f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{table}"
    return f"{arn}/index/{index}" if index else arn


def _dynamodb_calls(operation: str, params: Mapping[str, Any], region: str) -> list[Call]:
    if operation in ("TransactWriteItems", "TransactGetItems"):
        return [
            Call(f"dynamodb:{TRANSACT_PART_ACTIONS[kind]}", _table_arn(region, part["TableName"]))
            for item in params.get("TransactItems", [])
            for kind, part in item.items()
        ]
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [
            Call(f"dynamodb:{operation}", _table_arn(region, table))
            for table in params.get("RequestItems", {})
        ]
    if "TableName" in params:
        return [
            Call(
                f"dynamodb:{operation}",
                _table_arn(region, params["TableName"], params.get("IndexName")),
            )
        ]
    return [Call(f"dynamodb:{operation}", "*")]


class CallRecorder:
    def __init__(self) -> None:
        self.calls: list[Call] = []


@contextmanager
def recording_aws_calls(monkeypatch: Any) -> Iterator[CallRecorder]:
    """Register the hook on every botocore client created while recording."""
    recorder = CallRecorder()
    original = botocore.session.Session.create_client

    def create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
        client = original(self, *args, **kwargs)
        client.meta.events.register("before-call", _hook(recorder, client))
        return client

    monkeypatch.setattr(botocore.session.Session, "create_client", create_client)
    yield recorder


def _hook(recorder: CallRecorder, client: Any) -> Any:
    def before_call(model: Any, params: Any, **kwargs: Any) -> None:
        recorder.calls += calls_for(
            model.service_model.signing_name,
            model.name,
            _api_params(params),
            client.meta.region_name,
        )

    return before_call


def _api_params(params: Any) -> Mapping[str, Any]:
    """`before-call` gets the serialized request; the API parameters are in its body
    (JSON protocols such as DynamoDB and SSM)."""
    body = params.get("body", b"") if isinstance(params, dict) else b""
    if isinstance(body, bytes | str) and body:
        try:
            parsed = json.loads(body)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return body if isinstance(body, dict) else {}
