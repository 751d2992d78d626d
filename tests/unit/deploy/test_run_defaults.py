"""Through deploy.py against the fault matrix's scripted AWS (tests/faults/): the environment a run works on
when --env is not given, the outputs a deploy prints at its end, and `deploy --verify` (docs/deploy.md)."""

from __future__ import annotations

import contextlib
import io

import pytest

from stackyard.aws import Aws
from stackyard.cli import deploy as cli
from stackyard.deploy.outputs import output_lines
from stackyard.deploy.run import Seams
from tests.faults.world import World


def deploy_without_env(world: World, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    seams = Seams(Aws(client_factory=world.fake.client), world.fake.clock)
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = cli.main(["deploy", "--system", str(world.root), "--no-generate", "--concurrency", "1", *args], seams)
    return code, out.getvalue()


@pytest.fixture
def world(tmp_path, monkeypatch):
    monkeypatch.delenv("STACKYARD_ENV", raising=False)
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "base.yaml").write_text("default_environment: test   # the system's default\n")
    return World(tmp_path)


def test_without_env_a_run_works_on_the_systems_default_environment(world):
    code, out = deploy_without_env(world)
    assert code == 0, out
    assert ": deploy 3 stacks of test" in out


def test_stackyard_env_comes_before_the_systems_default(world, monkeypatch):
    monkeypatch.setenv("STACKYARD_ENV", "prod")
    code, out = deploy_without_env(world)
    assert code == 2  # prod was never generated here: the variable won, and nothing reached AWS
    assert "build/prod/manifest.json: no build of environment prod" in out
    assert world.fake.calls == []


def test_a_deploy_ends_with_every_output_it_gathered_under_its_jq_path(world):
    code, out = deploy_without_env(world)
    assert code == 0, out
    tail = out[out.index("outputs (in ") :].splitlines()
    assert tail[0] == f"outputs (in {world.root / 'outputs' / 'test.json'}):"
    assert [line.split() for line in tail[1:4]] == [  # in deploy order
        ["network.VpcId", world.outputs()["network"]["VpcId"]],
        ["storage.DataBucketName", "app-test-data"],
        ["app.QueueUrl", world.outputs()["app"]["QueueUrl"]],
    ]


def test_output_lines_align_values_and_sort_names_within_a_stack():
    assert output_lines(
        {"edge": {"SiteUrl": "https://x", "ApiUrl": "https://x/api"}, "network": {"VpcId": "vpc-1"}}
    ) == [
        "  edge.ApiUrl    https://x/api",
        "  edge.SiteUrl   https://x",
        "  network.VpcId  vpc-1",
    ]


VERIFIED_SYSTEM = """\
default_environment: test
app: app
region: ap-southeast-1
stacks: [alerts]
retain_data: false
termination_protection: false
tags: {cost_center: app, owner: team@example.com}
monitoring: {critical_emails: [], warning_emails: []}
"""


def test_deploy_with_verify_runs_the_checks_once_every_stack_is_deployed(world):
    (world.root / "params" / "base.yaml").write_text(VERIFIED_SYSTEM)
    (world.root / "params" / "test.yaml").write_text("{}\n")
    code, out = deploy_without_env(world, "--verify")
    assert code == 0, out
    tail = out[out.index("check  ") :].splitlines()
    assert [line.split()[:2] for line in tail[1:-1]] == [["stacks-deployed", "pass"], ["alarms-ok", "pass"]]
    assert tail[1].endswith("3 stacks, 5 resources, all complete")
    assert tail[-1] == "verify test: 2 passed, 0 failed, 0 skipped"


@pytest.mark.parametrize("verb", [["plan"], ["delete", "--yes"], ["verify"]])
def test_verify_as_an_option_goes_with_deploy_only(world, verb):
    out = io.StringIO()
    seams = Seams(Aws(client_factory=world.fake.client), world.fake.clock)
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = cli.main([*verb, "--system", str(world.root), "--no-generate", "--verify"], seams)
    assert code == 2
    assert "--verify goes with deploy" in out.getvalue()
    assert world.fake.calls == []


def test_verify_counts_the_resources_inside_nested_stacks(tmp_path, monkeypatch):
    monkeypatch.delenv("STACKYARD_ENV", raising=False)
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "base.yaml").write_text(VERIFIED_SYSTEM)
    (tmp_path / "params" / "test.yaml").write_text("{}\n")
    world = World(tmp_path, nested=True)
    code, out = deploy_without_env(world, "--verify")
    assert code == 0, out
    # network: its nested stack Vpc, and inside it the VPC and the subnet; storage: two buckets; app: two
    assert "stacks-deployed  pass     3 stacks, 7 resources, all complete" in out


@pytest.mark.parametrize("option", [["--only", "app"], ["--force-unlock", "20261203-1"]])
def test_verify_refuses_options_that_narrow_or_unlock_before_any_aws_call(world, option):
    out = io.StringIO()
    seams = Seams(Aws(client_factory=world.fake.client), world.fake.clock)
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = cli.main(["verify", "--system", str(world.root), "--no-generate", *option], seams)
    assert code == 2
    assert "verify checks the whole environment and takes no lock" in out.getvalue()
    assert world.fake.calls == []
