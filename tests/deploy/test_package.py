"""GIVEN each stage WHEN `chalice package --merge-template .chalice/sam-merge.json`
builds its SAM template THEN the template carries the retry and dead-letter settings
and passes cfn-lint (this is the `make test` check for packaging)."""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from chalicelib.settings import Settings
from tests.deploy.conftest import copy_project, offline_pip_env
from tests.deploy.operator import run_manage
from tools.alarms import alarm_specs
from tools.stages import PROJECT_DIR, load_stages

BIN = Path(sys.executable).parent
STAGES = sorted(load_stages())


def package_command(project: Path, stage: str) -> list[str]:
    return [
        str(BIN / "chalice"),
        "--project-dir",
        str(project),
        "package",
        "--stage",
        stage,
        "--merge-template",
        str(project / ".chalice" / "sam-merge.json"),
        str(project / "out" / stage),
    ]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(tmp_path_factory.mktemp("package"))


@pytest.fixture(scope="module")
def templates(project: Path, wheelhouse: Path) -> dict[str, dict[str, Any]]:
    """Every stage's SAM template: `chalice package` once per stage, all at once."""
    stages = load_stages()
    running = {
        stage: subprocess.Popen(
            package_command(project, stage),
            env={
                **os.environ,
                "AWS_DEFAULT_REGION": stages[stage].region,
                **offline_pip_env(wheelhouse),
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for stage in STAGES
    }
    for stage, process in running.items():
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, f"{stage}: {stderr}"
    return {
        stage: json.loads((project / "out" / stage / "sam.json").read_text()) for stage in STAGES
    }


@pytest.fixture(scope="module")
def broken_template(project: Path, templates: dict[str, dict[str, Any]]) -> Path:
    template = copy.deepcopy(templates["dev-us-east-1"])
    queue = template["Resources"]["UndeliveredQueue"]["Properties"]
    queue["MessageRetentionPeriod"] = 15 * 24 * 3600  # SQS keeps messages 14 days at most
    broken = project / "out" / "broken.json"
    broken.write_text(json.dumps(template))
    return broken


@pytest.fixture(scope="module")
def lint_findings(
    project: Path, templates: dict[str, dict[str, Any]], broken_template: Path
) -> dict[Path, list[str]]:
    """cfn-lint once, over every stage's template in every stage region (and the broken
    one): its findings by template, each `line:column:...:rule:message`."""
    paths = [project / "out" / stage / "sam.json" for stage in STAGES] + [broken_template]
    regions = sorted({stage.region for stage in load_stages().values()})
    completed = subprocess.run(
        [str(BIN / "cfn-lint"), "--format", "parseable", "--regions", *regions, "--", *paths],
        capture_output=True,
        text=True,
        check=False,
    )
    findings: dict[Path, list[str]] = {path: [] for path in paths}
    for line in completed.stdout.splitlines():
        path, _, finding = line.partition(":")
        findings.setdefault(Path(path), []).append(finding)
    assert set(findings) == set(paths), completed.stdout + completed.stderr
    return findings


@pytest.mark.parametrize("stage_name", STAGES)
def test_each_stage_packages_to_a_template_that_passes_cfn_lint(
    project: Path,
    templates: dict[str, dict[str, Any]],
    lint_findings: dict[Path, list[str]],
    stage_name: str,
) -> None:
    region = load_stages()[stage_name].region
    template = templates[stage_name]

    function = template["Resources"]["ConsoleSignin"]["Properties"]
    invoke = function["EventInvokeConfig"]
    assert invoke["MaximumRetryAttempts"] == 2
    assert invoke["DestinationConfig"]["OnFailure"]["Type"] == "SQS"
    [event] = function["Events"].values()
    assert event["Properties"]["Pattern"] == {"source": ["aws.signin"]}
    assert event["Properties"]["DeadLetterConfig"]["Arn"] == {
        "Fn::GetAtt": ["UndeliveredQueue", "Arn"]
    }
    assert function["Environment"]["Variables"]["STAGE_REGION"] == region
    check_guards_and_alarms(template, project)

    assert lint_findings[project / "out" / stage_name / "sam.json"] == []


def test_cfn_lint_rejects_a_queue_beyond_the_sqs_limits(
    broken_template: Path, lint_findings: dict[Path, list[str]]
) -> None:
    [finding] = lint_findings[broken_template]

    rule = finding.split(":")[4]
    assert rule.startswith("E")  # an error: cfn-lint fails the template
    assert "1296000 is greater than the maximum of 1209600" in finding


def test_packaging_a_stage_in_the_wrong_region_is_refused(project: Path, wheelhouse: Path) -> None:
    completed = subprocess.run(
        [
            str(BIN / "chalice"),
            "--project-dir",
            str(project),
            "package",
            "--stage",
            "prod-us-west-2",
            str(project / "out" / "wrong"),
        ],
        env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1", **offline_pip_env(wheelhouse)},
        capture_output=True,
        text=True,
        check=False,
    )

    assert completed.returncode != 0
    assert "this stage belongs in us-west-2 but runs in us-east-1" in completed.stderr


def check_guards_and_alarms(template: dict[str, Any], project: Path) -> None:
    """What `manage.py deploy` sets, the template declares too (same defaults)."""
    resources = template["Resources"]
    config = json.loads((project / ".chalice" / "config.json").read_text())
    reserved = config["lambda_functions"]
    assert (
        resources["ConsoleSignin"]["Properties"]["ReservedConcurrentExecutions"]
        == reserved["console_signin"]["reserved_concurrency"]
    )
    assert (
        resources["APIHandler"]["Properties"]["ReservedConcurrentExecutions"]
        == reserved["api_handler"]["reserved_concurrency"]
    )
    [throttle] = resources["RestAPI"]["Properties"]["MethodSettings"]
    parameters = template["Parameters"]
    defaults = Settings()
    assert throttle["ThrottlingRateLimit"] == {"Ref": "ApiThrottleRate"}
    assert parameters["ApiThrottleRate"]["Default"] == defaults.api_throttle_rate
    assert parameters["ApiThrottleBurst"]["Default"] == defaults.api_throttle_burst

    watchdog = resources["Watchdog"]["Properties"]
    assert watchdog["Events"]["WatchdogEvent"]["Properties"]["Schedule"] == "rate(1 hour)"
    alarms = {
        props["AlarmName"]["Fn::Sub"].removeprefix("${AWS::StackName}-"): props
        for resource in resources.values()
        if resource.get("Type") == "AWS::CloudWatch::Alarm"
        for props in [resource["Properties"]]
    }
    stage = load_stages()["prod-us-east-1"]
    assert set(alarms) == {spec.suffix for spec in alarm_specs(stage, "rule")}
    assert all(alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}] for alarm in alarms.values())
    assert alarms["watchdog-silent"]["TreatMissingData"] == "breaching"
    subscription = resources["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}


def test_manage_package_says_what_the_stack_needs_first(
    project: Path, wheelhouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The template has no ledger table (the env's stages share one): the command names
    it, and the commands to make it, before the stack's own."""
    for name, value in offline_pip_env(wheelhouse).items():
        monkeypatch.setenv(name, value)
    out = project / "out" / "via-manage"

    run = run_manage(
        "package", "--stage", "prod-us-west-2", "--out", str(out), "--project-dir", str(project)
    )

    assert run.exit_code == 0, run.output
    template = json.loads((out / "sam.json").read_text())
    assert not [r for r in template["Resources"].values() if r["Type"] == "AWS::DynamoDB::Table"]
    assert "It does not create the ledger table signin-alerts-ledger-prod in us-east-1" in run.out
    assert "  python manage.py provision --env prod\n" in run.out
    assert "--stack-name signin-alerts-prod-us-west-2" in run.out


def test_an_unknown_stage_is_one_line_and_exit_2(project: Path) -> None:
    run = run_manage("package", "--stage", "staging-us-east-1", "--project-dir", str(project))

    assert run.exit_code == 2
    assert run.out == ""
    assert run.err.count("\n") == 1
    assert "no stage staging-us-east-1" in run.err and "prod-us-east-1" in run.err


def test_make_package_of_an_unknown_stage_is_one_line_and_exit_2() -> None:
    completed = subprocess.run(
        ["make", "--no-print-directory", "-o", ".venv/.installed", "package", "STAGE=unknown"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )

    assert completed.returncode == 2
    assert completed.stdout == ""
    assert completed.stderr.count("\n") == 1
    assert "no stage unknown in .chalice/config.json" in completed.stderr


def test_the_package_ships_bytecode_that_matches_its_source(
    project: Path, wheelhouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lambda cannot write pycs: the zip carries one per app module (tools/bytecode.py),
    checked-hash, for the Python the function runs, and each matches the source beside
    it, so a cold start loads it instead of compiling."""
    for name, value in offline_pip_env(wheelhouse).items():
        monkeypatch.setenv(name, value)
    out = project / "out" / "bytecode"
    (project / "chalicelib" / "clock.py").write_text(
        (PROJECT_DIR / "chalicelib" / "clock.py").read_text() + "\n# edited before packaging\n"
    )

    run = run_manage(
        "package", "--stage", "dev-us-east-1", "--out", str(out), "--project-dir", str(project)
    )

    assert run.exit_code == 0, run.output
    template = json.loads((out / "sam.json").read_text())
    runtime = template["Resources"]["ConsoleSignin"]["Properties"]["Runtime"]
    assert runtime == f"python{sys.version_info.major}.{sys.version_info.minor}"
    with zipfile.ZipFile(out / "deployment.zip") as package:
        names = set(package.namelist())
        sources = sorted(n for n in names if n.startswith("chalicelib/") and n.endswith(".py"))
        assert len(sources) > 100
        for source in sources:
            pyc = importlib.util.cache_from_source(source)
            assert pyc in names, f"{source}: no bytecode in the package"
            data = package.read(pyc)
            assert data[:4] == importlib.util.MAGIC_NUMBER
            assert int.from_bytes(data[4:8], "little") == 0b11  # hash-based, checked
            assert data[8:16] == importlib.util.source_hash(package.read(source)), source
