"""End-to-end on LocalStack core: the `local` environment's whole life through `deploy.py`.

LocalStack runs for this module on 127.0.0.1 (tests/helpers/emulator.py). One test walks the cycle a
team lives through, in order: create, a no-op deploy (no change set at all), a real update, a
change that fails in the emulator and a re-run that recovers, a plan, and a delete that leaves
nothing. Marked `e2e`; `make test` installs the emulator and runs it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import boto3
import pytest
import yaml

import deploy
from stackyard import aws as aws_module
from stackyard.deploy.precheck import NO_LOCK
from tests.helpers import PARAMS_DIR
from tests.helpers.emulator import LocalStack

pytestmark = pytest.mark.e2e
REGION = "ap-southeast-1"
STACKS = ["network", "storage", "alerts", "messaging"]
ACTIVE = [
    "CREATE_COMPLETE",
    "UPDATE_COMPLETE",
    "UPDATE_ROLLBACK_COMPLETE",
    "ROLLBACK_COMPLETE",
    "CREATE_FAILED",
    "UPDATE_ROLLBACK_FAILED",
    "DELETE_FAILED",
    "REVIEW_IN_PROGRESS",
]


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    with LocalStack(tmp_path_factory.mktemp("localstack")) as running:
        yield running


@pytest.fixture
def workdir(tmp_path, monkeypatch, emulator):
    shutil.copytree(PARAMS_DIR, tmp_path / "params")
    shutil.copytree(PARAMS_DIR.parent / "sql", tmp_path / "sql")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    return tmp_path


@pytest.fixture
def change_sets_created(monkeypatch):
    """How many CreateChangeSet calls deploy makes."""
    calls = []
    original = aws_module.ChangeSetProposer.create_change_set

    def counted(self, *args, **kwargs):
        calls.append(args[0])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(aws_module.ChangeSetProposer, "create_change_set", counted)
    return calls


def run(capsys, *args: str) -> tuple[int, str]:
    code = deploy.main(["--env", "local", *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def deploy_record(emulator: LocalStack) -> dict:
    """The environment's deploy record (stackyard/deploy/record.py), from the artifact bucket."""
    outputs = client("cloudformation", emulator).describe_stacks(StackName="stackyard-bootstrap")["Stacks"][0][
        "Outputs"
    ]
    bucket = next(output["OutputValue"] for output in outputs if output["OutputKey"] == "BucketName")
    key = "state/one-system/local/deployed.json"
    return json.loads(client("s3", emulator).get_object(Bucket=bucket, Key=key)["Body"].read())


def results(output: str, stacks: list[str] = STACKS) -> dict[str, str]:
    """The summary's `stack  result` lines."""
    found = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in stacks and not line[:1].isdigit():
            found[parts[0]] = parts[1]
    return found


def verified(output: str) -> dict[str, str]:
    """verify's table: each check's result."""
    lines = output[output.index("check  ") :].splitlines()
    return {line.split()[0]: line.split()[1] for line in lines[1:-1]}


def set_params(workdir: Path, **sections) -> None:
    """params/local.yaml as shipped, with these top-level keys replaced."""
    shipped = yaml.safe_load((PARAMS_DIR / "local.yaml").read_text())
    (workdir / "params" / "local.yaml").write_text(yaml.safe_dump({**shipped, **sections}))


def client(service: str, emulator: LocalStack, region: str = REGION):
    return boto3.client(service, region_name=region, endpoint_url=emulator.endpoint)


def test_an_environment_from_create_to_delete(workdir, emulator, capsys, change_sets_created):
    without_messaging = ["network", "storage", "alerts"]
    # 1. Create: every stack in dependency order, the artifact bucket made on first use.
    set_params(workdir, stacks=without_messaging)
    code, out = run(capsys)
    assert code == 0, out
    assert results(out) == dict.fromkeys(without_messaging, "created")
    outputs = json.loads((workdir / "outputs" / "local.json").read_text())
    assert outputs["network"]["VpcId"].startswith("vpc-")
    assert list((workdir / "logs").glob("deploy-local-*.log"))
    created = deploy_record(emulator)
    assert sorted(created["stacks"]) == sorted(without_messaging)

    # 2. Nothing changed: every stack reported unchanged without creating a single change set.
    change_sets_created.clear()
    code, out = run(capsys)
    assert code == 0, out
    assert results(out) == dict.fromkeys(without_messaging, "unchanged")
    assert change_sets_created == []
    assert NO_LOCK in out  # nothing to change: no lock taken (stackyard/deploy/precheck.py)

    # 3. A real update, inside a nested stack: only network changes, and its table shows what.
    #    (LocalStack reports the nested stack's change, not the nested change set behind it; the
    #    contract tests cover how stackyard reads those.)
    set_params(workdir, stacks=without_messaging, network={"nat": "none", "flow_logs": {"retention_days": 3}})
    code, out = run(capsys)
    assert code == 0, out
    assert results(out) == {"network": "updated", "storage": "unchanged", "alerts": "unchanged"}
    assert any(
        line.split()[-4:] == ["Modify", "Vpc", "AWS::CloudFormation::Stack", "False"] for line in out.splitlines()
    ), out
    # The record follows: network's entry names its new template (LocalStack keeps LastUpdatedTime at the
    # CreationTime, so an updated stack's entry proves nothing there: stackyard/deploy/record.py), the others stay.
    updated = deploy_record(emulator)["stacks"]
    assert updated["network"]["status"] == "UPDATE_COMPLETE"
    assert updated["network"]["template_sha256"] != created["stacks"]["network"]["template_sha256"]
    assert updated["storage"] == created["stacks"]["storage"]

    # 4. A change the emulator refuses: the new messaging stack needs a queue name something else holds.
    sqs = client("sqs", emulator)
    squatter = sqs.create_queue(QueueName="one-system-local-export-dlq", Attributes={"MessageRetentionPeriod": "60"})[
        "QueueUrl"
    ]
    set_params(workdir, network={"nat": "none", "flow_logs": {"retention_days": 3}})
    code, out = run(capsys)
    assert code == 1, out
    assert results(out)["messaging"] == "failed"
    assert "ExportDeadLetterQueue (AWS::SQS::Queue)" in out and "already exists" in out

    # 5. Once the conflict is gone the same command recovers: the failed first create is deleted and redone.
    sqs.delete_queue(QueueUrl=squatter)
    code, out = run(capsys)
    assert code == 0, out
    assert results(out) == {
        "network": "unchanged",
        "storage": "unchanged",
        "alerts": "unchanged",
        "messaging": "created",
    }
    assert "ROLLBACK_COMPLETE: delete the failed first create, then create again" in out

    # 5b. Verify: what LocalStack builds is checked as on AWS (every stack and resource complete, the buckets
    #     private and TLS-only, the dead-letter alarms quiet); no anonymous bucket read against an emulator.
    code, out = run(capsys, "verify")
    assert code == 0, out
    assert verified(out) == {
        "stacks-deployed": "pass",
        "buckets-refuse-public-reads": "pass",
        "buckets-refuse-plain-http": "pass",
        "alarms-ok": "pass",
    }
    assert "no anonymous read: an emulator" in out

    # 6. A plan of one stack shows its pending change, exits 3, and changes nothing.
    set_params(workdir, network={"nat": "none", "flow_logs": {"retention_days": 3}}, messaging={"retention_days": 6})
    queue = json.loads((workdir / "outputs" / "local.json").read_text())["messaging"]["LineWebhookQueueUrl"]
    before = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["MessageRetentionPeriod"])["Attributes"]
    code, out = run(capsys, "--plan", "--only", "messaging")
    assert code == 3, out
    assert results(out) == {"messaging": "planned"}
    assert sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["MessageRetentionPeriod"])["Attributes"] == before
    assert (
        client("cloudformation", emulator).list_change_sets(StackName="one-system-local-messaging")["Summaries"] == []
    )

    # 7. Delete, artifact bucket included: nothing is left.
    code, out = run(capsys, "--delete", "--yes", "--delete-artifacts")
    assert code == 0, out
    assert set(results(out).values()) == {"deleted"}
    assert client("cloudformation", emulator).list_stacks(StackStatusFilter=ACTIVE)["StackSummaries"] == []
    assert client("s3", emulator).list_buckets()["Buckets"] == []


# What each example's local environment builds, and one output per stack that proves it.
EXAMPLE_OUTPUTS = {
    "goldsport-scheduler": {"storage": "InputBucketName"},
    "plot-palette": {"network": "EcsTaskSecurityGroupId", "storage": "DataBucketName", "roles": "EcsTaskRoleArn"},
}


@pytest.mark.parametrize("example", EXAMPLE_OUTPUTS)
def test_an_example_system_deploys_and_leaves_nothing_through_deploy_py(
    example, emulator, capsys, monkeypatch, tmp_path
):
    """Seeds 003 and 004: the parts the emulator builds, from their own folders via --system."""
    system = tmp_path / example
    shutil.copytree(
        PARAMS_DIR.parent / "examples" / example, system, ignore=shutil.ignore_patterns("build", "outputs", "logs")
    )
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.delenv("AWS_PROFILE", raising=False)

    def system_run(*args):
        code = deploy.main(["--system", str(system), "--env", "local", *args])
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    code, out = system_run()
    assert code == 0, out
    outputs = json.loads((system / "outputs" / "local.json").read_text())
    assert {
        stack: bool(outputs[stack].get(output)) for stack, output in EXAMPLE_OUTPUTS[example].items()
    } == dict.fromkeys(EXAMPLE_OUTPUTS[example], True)
    region = yaml.safe_load((system / "params" / "base.yaml").read_text())["region"]
    cloudformation = client("cloudformation", emulator, region)
    assert {stack["StackName"] for stack in cloudformation.list_stacks(StackStatusFilter=ACTIVE)["StackSummaries"]} >= {
        f"{example}-local-{stack}" for stack in EXAMPLE_OUTPUTS[example]
    }
    code, out = system_run("verify")
    assert code == 0, out
    assert set(verified(out)) == {"stacks-deployed", "buckets-refuse-public-reads", "buckets-refuse-plain-http"}
    code, out = system_run()
    assert code == 0 and results(out, list(EXAMPLE_OUTPUTS[example])) == dict.fromkeys(
        EXAMPLE_OUTPUTS[example], "unchanged"
    ), out
    code, out = system_run("--delete", "--yes", "--delete-artifacts")
    assert code == 0, out
    assert cloudformation.list_stacks(StackStatusFilter=ACTIVE)["StackSummaries"] == []
    assert not [
        bucket
        for bucket in client("s3", emulator, region).list_buckets()["Buckets"]
        if bucket["Name"].startswith(f"{example}-")
    ]
