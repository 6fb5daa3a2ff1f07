"""An AWS Organization on moto for the tests: the management account (moto's own),
OUs by path and member accounts by name, as `manage.py deploy --org` would find them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3
import chalice.test
import pytest
from chalice.local import LambdaContext

from localdev.events import ACCOUNT as MANAGEMENT


@dataclass
class Organization:
    client: Any
    root: str
    units: dict[str, str] = field(default_factory=dict)  # OU path -> OU id
    accounts: dict[str, str] = field(default_factory=dict)  # name -> account id
    management: str = MANAGEMENT

    @classmethod
    def create(cls) -> Organization:
        client = boto3.client("organizations", region_name="us-east-1")
        client.create_organization(FeatureSet="ALL")
        return cls(client, client.list_roots()["Roots"][0]["Id"])

    def unit(self, path: str) -> str:
        """The OU at `Workloads/Payments`, made (with its parents) when missing."""
        if path not in self.units:
            parent, _, name = path.rpartition("/")
            parent_id = self.unit(parent) if parent else self.root
            made = self.client.create_organizational_unit(ParentId=parent_id, Name=name)
            self.units[path] = made["OrganizationalUnit"]["Id"]
        return self.units[path]

    def account(self, name: str, path: str = "") -> str:
        """A new member account named `name`, in the OU at `path` (the root for "")."""
        status = self.client.create_account(Email=f"{name.lower()}@example.com", AccountName=name)[
            "CreateAccountStatus"
        ]
        account_id = str(status["AccountId"])
        if path:
            self.client.move_account(
                AccountId=account_id, SourceParentId=self.root, DestinationParentId=self.unit(path)
            )
        self.accounts[name] = account_id
        return account_id


def calls_of(client: Any) -> list[str]:
    """Every API call `client` makes from now on, by name."""
    names: list[str] = []
    client.meta.events.register("before-call", lambda model, **_: names.append(model.name))
    return names


def deployed_in(monkeypatch: pytest.MonkeyPatch, account_id: str) -> None:
    """Lambda's context names the function, so the account it runs in (chalice's local
    context leaves the ARN empty)."""

    class InAccount(LambdaContext):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.invoked_function_arn = f"arn:aws:lambda:us-east-1:{account_id}:function:signin"

    monkeypatch.setattr(chalice.test, "LambdaContext", InAccount)
