"""A small organization on the emulator for the deploy tests: a Workloads OU that the
prod env's stack set targets in two regions, and the env's ledger table."""

from __future__ import annotations

import json

import boto3


def organization(*, late_joiner: bool = False) -> dict[str, str]:
    """An organization whose Workloads OU the prod stack set targets in two regions;
    a late joiner is created in the root, outside it."""
    from chalicelib.store.provision import create_ledger_table
    from chalicelib.watchdog.findings import stack_set_name
    from tools.stages import env_stages, ledger_of

    table, region = ledger_of(env_stages("prod"))
    create_ledger_table(boto3.client("dynamodb", region_name=region), table, poll_seconds=0)
    organizations = boto3.client("organizations", region_name="us-east-1")
    organizations.create_organization(FeatureSet="ALL")
    root = organizations.list_roots()["Roots"][0]["Id"]
    workloads = organizations.create_organizational_unit(ParentId=root, Name="Workloads")
    ou = workloads["OrganizationalUnit"]["Id"]
    names = ["Payments-Prod", *(["Late-Joiner"] if late_joiner else [])]
    accounts = {}
    for name in names:
        created = organizations.create_account(AccountName=name, Email=f"{name}@example.com")
        accounts[name] = created["CreateAccountStatus"]["AccountId"]
    organizations.move_account(
        AccountId=accounts["Payments-Prod"], SourceParentId=root, DestinationParentId=ou
    )
    cloudformation = boto3.client("cloudformation", region_name="us-east-1")
    cloudformation.create_stack_set(
        StackSetName=stack_set_name("prod"),
        TemplateBody=json.dumps({"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}),
        PermissionModel="SERVICE_MANAGED",
        AutoDeployment={"Enabled": True, "RetainStacksOnAccountRemoval": False},
    )
    cloudformation.create_stack_instances(
        StackSetName=stack_set_name("prod"),
        DeploymentTargets={"OrganizationalUnitIds": [ou]},
        Regions=["us-east-1", "us-west-2"],
    )
    return accounts
