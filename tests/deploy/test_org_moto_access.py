"""GIVEN moto 5.2 (which has no DescribeOrganizationsAccess or ActivateOrganizationsAccess)
under localdev/org_moto.py WHEN the management account, a delegated administrator for
StackSets and a member that is neither ask about trusted access, activate it and make
a service-managed stack set THEN each is answered as AWS documents: it starts off, only
the management account activates it (for every caller, and in Organizations' service
access), no service-managed stack set is made before, and outside the patch moto is
as it was."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from localdev.org_moto import STACKSETS_PRINCIPAL, org_ready_moto

TEMPLATE = json.dumps({"Resources": {"T": {"Type": "AWS::SNS::Topic"}}})


@pytest.fixture
def patched(aws: None) -> Iterator[None]:
    with org_ready_moto():
        yield


def member_client(account: str, service: str) -> Any:
    """A client with the member's own credentials (the role Organizations gives it)."""
    credentials = boto3.client("sts", region_name="us-east-1").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
        RoleSessionName="access-test",
    )["Credentials"]
    return boto3.client(  # type: ignore[call-overload]
        service,
        region_name="us-east-1",
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def an_organization() -> tuple[str, str]:
    """(a member that will be the delegated administrator, a member that is not)."""
    organizations = boto3.client("organizations", region_name="us-east-1")
    organizations.create_organization(FeatureSet="ALL")
    return tuple(  # type: ignore[return-value]
        organizations.create_account(AccountName=name, Email=f"{name}@example.com")[
            "CreateAccountStatus"
        ]["AccountId"]
        for name in ("security", "workload")
    )


def error_code(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return str(raised.value.response["Error"]["Code"])


def service_managed(cfn: Any, name: str, **kwargs: Any) -> Any:
    return cfn.create_stack_set(
        StackSetName=name, TemplateBody=TEMPLATE, PermissionModel="SERVICE_MANAGED", **kwargs
    )


def test_trusted_access_starts_off_and_no_service_managed_stack_set_is_made_before_it(
    patched: None,
) -> None:
    an_organization()
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    assert cfn.describe_organizations_access()["Status"] == "DISABLED"
    assert cfn.describe_organizations_access(CallAs="SELF")["Status"] == "DISABLED"
    assert error_code(service_managed, cfn=cfn, name="before") == "ValidationError"
    cfn.create_stack_set(StackSetName="self-managed", TemplateBody=TEMPLATE)  # needs none

    cfn.activate_organizations_access()
    cfn.activate_organizations_access()  # a second time changes nothing

    assert cfn.describe_organizations_access()["Status"] == "ENABLED"
    service_managed(cfn, "after")
    organizations = boto3.client("organizations", region_name="us-east-1")
    enabled = organizations.list_aws_service_access_for_organization()
    assert [s["ServicePrincipal"] for s in enabled["EnabledServicePrincipals"]] == [
        STACKSETS_PRINCIPAL
    ]


def test_a_delegated_administrator_reads_it_but_only_the_management_account_activates_it(
    patched: None,
) -> None:
    admin, other = an_organization()
    cfn = member_client(admin, "cloudformation")
    # not (yet) registered: StackSets does not take it as a delegated administrator
    assert error_code(cfn.describe_organizations_access, CallAs="DELEGATED_ADMIN") == (
        "ValidationError"
    )
    boto3.client("organizations", region_name="us-east-1").register_delegated_administrator(
        AccountId=admin, ServicePrincipal=STACKSETS_PRINCIPAL
    )
    assert cfn.describe_organizations_access(CallAs="DELEGATED_ADMIN")["Status"] == "DISABLED"
    assert error_code(cfn.describe_organizations_access) == "InvalidOperationException"
    assert error_code(cfn.activate_organizations_access) == "InvalidOperationException"
    assert error_code(service_managed, cfn=cfn, name="x", CallAs="DELEGATED_ADMIN") == (
        "ValidationError"
    )
    outsider = member_client(other, "cloudformation")
    assert error_code(outsider.describe_organizations_access, CallAs="DELEGATED_ADMIN") == (
        "ValidationError"
    )
    management = boto3.client("cloudformation", region_name="us-east-1")
    assert error_code(management.describe_organizations_access, CallAs="DELEGATED_ADMIN") == (
        "ValidationError"
    )

    management.activate_organizations_access()

    assert cfn.describe_organizations_access(CallAs="DELEGATED_ADMIN")["Status"] == "ENABLED"
    service_managed(cfn, "by-the-admin", CallAs="DELEGATED_ADMIN")


def test_an_account_in_no_organization_is_refused(patched: None) -> None:
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    assert error_code(cfn.describe_organizations_access) == "InvalidOperationException"


def test_outside_the_patch_moto_is_as_it_was(aws: None) -> None:
    from moto.cloudformation.responses import CloudFormationResponse

    with org_ready_moto():
        assert hasattr(CloudFormationResponse, "describe_organizations_access")
    assert not hasattr(CloudFormationResponse, "describe_organizations_access")
    assert not hasattr(CloudFormationResponse, "activate_organizations_access")
    an_organization()
    service_managed(boto3.client("cloudformation", region_name="us-east-1"), "unpatched")
