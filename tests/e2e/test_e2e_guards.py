"""End-to-end on LocalStack core: the guards (docs/deploy.md, "Guards") against the emulator, through deploy.py.

What LocalStack core 2026.3.0 lacks (measured here, `test_localstack_still_lacks_these_guard_calls`): it
answers InternalFailure "not yet emulated" to SetStackPolicy, GetStackPolicy, DetectStackDrift,
DescribeStackResourceDrifts and RollbackStack. So stack policies (set, read, overridden), drift detection
and the rollback of a kept failure are proven against the fault fake only (tests/faults/scenarios/guards.py),
and params/local.yaml turns stack policies and the drift check off. It accepts, and ignores, RoleARN on
CreateChangeSet and DeleteStack, RollbackConfiguration and OnStackFailure on CreateChangeSet: those are
passed here on every write of a real deploy and delete, which the emulator must take. When the test of
what it lacks fails, LocalStack gained a call: move its proof here and turn the guard on in local.yaml.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.exceptions import ClientError

import deploy
from stackyard import aws as aws_module
from tests.helpers import PARAMS_DIR, ROOT
from tests.helpers.emulator import LocalStack

pytestmark = pytest.mark.e2e
REGION = "ap-southeast-1"
ROLE = "arn:aws:iam::000000000000:role/one-system-local-cloudformation"
STORAGE = "one-system-local-storage"
LACKING = {
    "SetStackPolicy": lambda cf: cf.set_stack_policy(StackName=STORAGE, StackPolicyBody=json.dumps(ALLOW_ALL)),
    "GetStackPolicy": lambda cf: cf.get_stack_policy(StackName=STORAGE),
    "DetectStackDrift": lambda cf: cf.detect_stack_drift(StackName=STORAGE),
    "DescribeStackResourceDrifts": lambda cf: cf.describe_stack_resource_drifts(StackName=STORAGE),
    "RollbackStack": lambda cf: cf.rollback_stack(StackName=STORAGE),
}
ALLOW_ALL = {"Statement": [{"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"}]}


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with LocalStack(tmp_path_factory.mktemp("localstack")) as running:
        yield running


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default system with local.yaml's guards: the service role, and --no-rollback allowed."""
    folder = tmp_path_factory.mktemp("system")
    shutil.copytree(PARAMS_DIR, folder / "params")
    shutil.copytree(ROOT / "sql", folder / "sql")
    local = yaml.safe_load((PARAMS_DIR / "local.yaml").read_text())
    local["guards"] = {**local["guards"], "role_arn": ROLE, "allow_no_rollback": True}
    (folder / "params" / "local.yaml").write_text(yaml.safe_dump(local))
    return folder


@pytest.fixture
def workdir(system: Path, emulator: LocalStack, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(system)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    return system


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, dict[str, Any]]]:
    """(call, stack, guard arguments) of every CreateChangeSet and DeleteStack deploy.py makes."""
    seen: list[tuple[str, str, dict[str, Any]]] = []
    create, delete = aws_module.ChangeSetProposer.create_change_set, aws_module.StackWriter.delete_stack

    def created(self: Any, stack: str, *args: Any, **guards: Any) -> str:
        seen.append(("CreateChangeSet", stack, guards))
        return create(self, stack, *args, **guards)

    def deleted(self: Any, stack: str, token: str, retain: Any = None, role_arn: str | None = None) -> None:
        seen.append(("DeleteStack", stack, {"RoleARN": role_arn}))
        delete(self, stack, token, retain, role_arn)

    monkeypatch.setattr(aws_module.ChangeSetProposer, "create_change_set", created)
    monkeypatch.setattr(aws_module.StackWriter, "delete_stack", deleted)
    return seen


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = deploy.main([*args, "--env", "local"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def cloudformation(emulator: LocalStack) -> Any:
    return boto3.client("cloudformation", region_name=REGION, endpoint_url=emulator.endpoint)


def test_a_deploy_passes_the_service_role_triggers_and_no_rollback_on_every_change_set(workdir, writes, capsys):
    code, out = run(capsys, "deploy", "--no-rollback")
    assert code == 0, out
    stacks = {stack for call, stack, _ in writes if call == "CreateChangeSet"}
    assert {"one-system-local-network", STORAGE, "one-system-local-messaging"} <= stacks
    for call, stack, guards in writes:
        assert guards["RoleARN"] == ROLE, (call, stack)
        if not stack.startswith("one-system-local-"):
            continue  # the artifact bucket's stack, shared by the account's environments: no guards of theirs
        assert guards["OnStackFailure"] == "DO_NOTHING", stack  # creates, kept as they fail
        # Rollback triggers hold the stack's critical alarms once they exist: none on a first create.
        assert guards["RollbackConfiguration"] == {"RollbackTriggers": [], "MonitoringTimeInMinutes": 0}, stack


def test_localstack_still_lacks_these_guard_calls(workdir, emulator):
    client = cloudformation(emulator)
    assert client.describe_stacks(StackName=STORAGE)["Stacks"][0]["StackStatus"].endswith("_COMPLETE")
    answers = {}
    for call, make in LACKING.items():
        with pytest.raises(ClientError) as refused:
            make(client)
        answers[call] = (refused.value.response["Error"]["Code"], "not yet been emulated" in str(refused.value))
    assert answers == dict.fromkeys(LACKING, ("InternalFailure", True))


def test_the_drift_verb_fails_on_an_emulator_without_drift_detection(workdir, writes, capsys):
    """Not 'no drift found': a detection that cannot run is a failure (exit 1), and nothing is written."""
    code, out = run(capsys, "drift", "--only", "storage")
    assert code == 1, out
    assert "detecting drift of stack" in out and STORAGE in out
    assert "no drift found" not in out
    assert writes == []


def test_a_delete_passes_the_service_role(workdir, writes, capsys):
    code, out = run(capsys, "delete", "--yes")
    assert code == 0, out
    deleted = {stack: guards["RoleARN"] for call, stack, guards in writes if call == "DeleteStack"}
    assert STORAGE in deleted and set(deleted.values()) == {ROLE}
