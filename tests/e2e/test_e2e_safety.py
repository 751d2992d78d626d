"""End-to-end on LocalStack core: the safety of deploy.py's verbs, through the command line.

A plan of a delete changes nothing; a delete that an outside importer would make CloudFormation
refuse empties nothing; Ctrl-C during a deploy exits 130 and the next run completes with no change
set left behind; two deploys of one environment at once, the second refused by the lock.

LocalStack core 2026.3.0 does not record imports: ListImports answers [] on both of its engines
(measured; docs/testing.md, "Emulators"), and it has no export-in-use protection. So for the
import test, ListImports is answered from the importing stacks' templates, read from LocalStack,
as AWS would answer it; every other call reaches the emulator.
"""

from __future__ import annotations

import json
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import boto3
import pytest
from botocore.client import BaseClient

import deploy
from stackyard.generate import generate
from tests.helpers import PARAMS_DIR, ROOT
from tests.helpers.emulator import LocalStack

pytestmark = pytest.mark.e2e
REGION = "ap-southeast-1"
STACKS = ["network", "storage", "alerts", "messaging"]
NAMES = [f"one-system-local-{stack}" for stack in STACKS]
LIVE = ["CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "ROLLBACK_COMPLETE", "REVIEW_IN_PROGRESS"]


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    with LocalStack(tmp_path_factory.mktemp("localstack")) as running:
        yield running


@pytest.fixture(scope="module")
def system(tmp_path_factory, emulator) -> Path:
    folder = tmp_path_factory.mktemp("system")
    shutil.copytree(PARAMS_DIR, folder / "params")
    shutil.copytree(ROOT / "sql", folder / "sql")
    generate(folder / "params", folder / "build", ["local"], run_lint=False)
    return folder


@pytest.fixture
def workdir(system, emulator, monkeypatch) -> Path:
    monkeypatch.chdir(system)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    return system


def run(capsys, *args: str) -> tuple[int, str]:
    code = deploy.main([*args, "--env", "local", "--no-generate"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def client(service: str, emulator: LocalStack):
    return boto3.client(service, region_name=REGION, endpoint_url=emulator.endpoint)


def live_stacks(emulator: LocalStack) -> set[str]:
    found = client("cloudformation", emulator).list_stacks(StackStatusFilter=LIVE)["StackSummaries"]
    return {stack["StackName"] for stack in found}


def deployed(capsys, emulator) -> None:
    if not set(NAMES) <= live_stacks(emulator):
        code, out = run(capsys, "deploy")
        assert code == 0, out


def environment_buckets(emulator: LocalStack) -> list[str]:
    return [
        bucket["Name"]
        for bucket in client("s3", emulator).list_buckets()["Buckets"]
        if bucket["Name"].startswith("one-system-local-")
    ]


def objects_in(emulator: LocalStack, buckets: list[str]) -> int:
    s3 = client("s3", emulator)
    return sum(s3.list_objects_v2(Bucket=bucket).get("KeyCount", 0) for bucket in buckets)


def change_sets_left(emulator: LocalStack) -> dict[str, list[str]]:
    cloudformation = client("cloudformation", emulator)
    found = {name: cloudformation.list_change_sets(StackName=name)["Summaries"] for name in live_stacks(emulator)}
    return {name: [item["ChangeSetName"] for item in items] for name, items in found.items() if items}


def test_a_plan_of_the_delete_changes_nothing(workdir, emulator, capsys):
    deployed(capsys, emulator)
    buckets = environment_buckets(emulator)
    for bucket in buckets:
        client("s3", emulator).put_object(Bucket=bucket, Key="keep-me.txt", Body=b"data")
    before = live_stacks(emulator)
    code, out = run(capsys, "delete", "--plan")
    assert code == 3, out
    assert "would empty bucket" in out and "would delete one-system-local-network" in out
    assert live_stacks(emulator) == before
    assert objects_in(emulator, buckets) == len(buckets)


@pytest.fixture
def imports_from_templates(monkeypatch, emulator):
    """ListImports answered as AWS would: the live stacks whose templates import the export."""
    original = BaseClient._make_api_call
    reader = client("cloudformation", emulator)

    def answered(self, operation, parameters):
        if operation != "ListImports":
            return original(self, operation, parameters)
        wanted = json.dumps({"Fn::ImportValue": parameters["ExportName"]})
        importers = sorted(name for name in live_stacks(emulator) if wanted in template_text(reader, name))
        return {"Imports": importers}

    monkeypatch.setattr(BaseClient, "_make_api_call", answered)


def test_a_delete_an_outside_importer_would_block_empties_nothing(workdir, emulator, capsys, imports_from_templates):
    deployed(capsys, emulator)
    cloudformation = client("cloudformation", emulator)
    [export] = [
        item["Name"]
        for item in cloudformation.list_exports()["Exports"]
        if "/one-system-local-storage/" in item["ExportingStackId"]
    ][:1]
    importer = {
        "Resources": {
            "Copy": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {"Type": "String", "Value": {"Fn::ImportValue": export}},
            }
        }
    }
    cloudformation.create_stack(StackName="outside-consumer", TemplateBody=json.dumps(importer))
    cloudformation.get_waiter("stack_create_complete").wait(StackName="outside-consumer", WaiterConfig={"Delay": 1})
    buckets = environment_buckets(emulator)
    for bucket in buckets:
        client("s3", emulator).put_object(Bucket=bucket, Key="keep-me.txt", Body=b"data")
    try:
        code, out = run(capsys, "delete", "--yes")
        assert code == 1, out
        assert f"export {export} is imported by outside-consumer, which this delete does not include" in out
        assert "nothing was emptied or deleted" in out
        assert set(NAMES) <= live_stacks(emulator)
        assert objects_in(emulator, buckets) == len(buckets)
    finally:
        cloudformation.delete_stack(StackName="outside-consumer")
        cloudformation.get_waiter("stack_delete_complete").wait(StackName="outside-consumer", WaiterConfig={"Delay": 1})


def template_text(reader, stack: str) -> str:
    body = reader.get_template(StackName=stack)["TemplateBody"]  # botocore parses a JSON body
    return json.dumps(json.loads(body) if isinstance(body, str) else body)


class Background:
    """deploy.py in its own process, its output read line by line as it comes."""

    def __init__(self, *args: str):
        command = [sys.executable, str(ROOT / "deploy.py"), *args, "--env", "local", "--no-generate"]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_for(self, text: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                assert self.process.poll() is None or not self.lines.empty(), "".join(self.seen)
                continue
            self.seen.append(line)
            if text in line:
                return
        raise AssertionError(f"no {text!r} within {timeout} s:\n{''.join(self.seen)}")

    def finish(self, timeout: float = 300) -> tuple[int, str]:
        code = self.process.wait(timeout=timeout)
        time.sleep(0.2)
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        assert self.process.stdout is not None
        self.process.stdout.close()
        return code, "".join(self.seen)


def emptied(capsys, emulator) -> None:
    """The environment deleted (its artifact bucket stack stays: the lock lives there)."""
    code, out = run(capsys, "delete", "--yes")
    assert code == 0, out
    assert not set(NAMES) & live_stacks(emulator)


def test_ctrl_c_during_a_deploy_exits_130_and_the_next_run_completes_with_no_change_set_left(workdir, emulator, capsys):
    deployed(capsys, emulator)
    emptied(capsys, emulator)
    first = Background("deploy")
    first.wait_for(" executing")
    first.process.send_signal(signal.SIGINT)
    code, out = first.finish()
    assert code == 130, out
    assert "Ctrl-C: starting nothing new" in out
    code, out = run(capsys, "deploy")
    assert code == 0, out
    assert set(NAMES) <= live_stacks(emulator)
    assert change_sets_left(emulator) == {}


def test_two_deploys_of_one_environment_at_once_the_second_is_refused_by_the_lock(workdir, emulator, capsys):
    deployed(capsys, emulator)
    emptied(capsys, emulator)
    first = Background("deploy")
    first.wait_for("holding the deploy lock")
    code, out = run(capsys, "deploy")
    assert code == 1, out
    assert "environment local is locked by run" in out and "--force-unlock" in out
    code, out = first.finish()
    assert code == 0, out
    code, out = run(capsys, "delete", "--yes", "--delete-artifacts")
    assert code == 0, out
    assert live_stacks(emulator) == set()
