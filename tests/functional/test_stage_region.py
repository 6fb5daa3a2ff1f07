"""GIVEN a stage whose name says its region WHEN it runs (or is deployed) elsewhere
THEN it refuses, naming both regions; in its own region it runs."""

from __future__ import annotations

import pytest

from chalicelib.settings import ConfigError, Settings, check_stage_region
from tools.regions import nearest
from tools.stages import load_stages


def test_a_stage_in_the_wrong_region_refuses_naming_both() -> None:
    with pytest.raises(ConfigError, match="belongs in us-west-2 but runs in us-east-1"):
        Settings.from_env({"STAGE_REGION": "us-west-2", "AWS_REGION": "us-east-1"})


def test_the_deployer_region_counts_as_chalice_sees_it() -> None:
    # botocore (so `chalice deploy`) uses AWS_DEFAULT_REGION even if AWS_REGION is set.
    with pytest.raises(ConfigError, match="deploy it with AWS_DEFAULT_REGION=us-east-1"):
        check_stage_region(
            {
                "STAGE_REGION": "us-east-1",
                "AWS_DEFAULT_REGION": "eu-west-1",
                "AWS_REGION": "us-east-1",
            }
        )


@pytest.mark.parametrize(
    "env",
    [
        {"STAGE_REGION": "us-west-2", "AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "us-west-2"},
        {"STAGE_REGION": "us-west-2"},  # region unknown here: Lambda's cold start checks
        {"AWS_REGION": "eu-west-1"},  # local runs without a stage
    ],
)
def test_a_stage_in_its_own_region_runs(env: dict[str, str]) -> None:
    check_stage_region(env)
    assert Settings.from_env(env).ledger_table == "signin-alerts-ledger"


def test_the_first_invocation_in_the_wrong_region_fails_loudly(invoke, configure) -> None:
    from tests.conftest import load_event

    configure(STAGE_REGION="us-west-2", AWS_REGION="us-east-1")

    with pytest.raises(ConfigError, match=r"us-west-2 .* us-east-1"):
        invoke(load_event("root_failure.json"))


def test_every_configured_stage_names_its_region() -> None:
    stages = load_stages()
    assert {"prod-us-east-1", "prod-us-west-2", "dev-us-east-1", "dev-us-west-2"} <= set(stages)
    for name, stage in stages.items():
        assert name.endswith(stage.region)
        assert stage.environment["STAGE_REGION"] == stage.region
        assert stage.ledger_region == "us-east-1"


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("us-east-2", "us-east-1"),
        ("eu-north-1", "us-east-1"),
        ("ap-southeast-2", "us-west-2"),
        ("ap-northeast-1", "us-west-2"),
        ("sa-east-1", "us-east-1"),
        ("ca-west-1", "us-west-2"),
    ],
)
def test_forwarding_picks_the_nearest_stage(source: str, target: str) -> None:
    assert nearest(source, ["us-east-1", "us-west-2"]) == target


def test_slack_manifest_declares_the_command_webhook_and_scopes() -> None:
    from pathlib import Path

    import yaml

    manifest = yaml.safe_load((Path(__file__).parents[2] / "slack" / "manifest.yml").read_text())
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == "/recent-logins"
    assert command["url"].endswith("/api/slack/recent-logins")
    assert {"chat:write", "commands", "incoming-webhook"} <= set(
        manifest["oauth_config"]["scopes"]["bot"]
    )


def test_slack_manifest_declares_the_picture_and_the_home_tab() -> None:
    """The digest's picture needs `files:write`; the Home tab its events URL (a route the
    app has) and `app_home_opened`."""
    from pathlib import Path

    import yaml

    import app as app_module

    manifest = yaml.safe_load((Path(__file__).parents[2] / "slack" / "manifest.yml").read_text())
    assert "files:write" in manifest["oauth_config"]["scopes"]["bot"]
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    events = manifest["settings"]["event_subscriptions"]
    assert events["bot_events"] == ["app_home_opened"]
    path = "/" + events["request_url"].split("/api/", 1)[1]
    assert "POST" in app_module.app.routes[path]
