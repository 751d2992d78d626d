"""Through deploy.py against the fault matrix's scripted AWS (tests/faults/): the environment a run works on
when --env is not given, and the outputs a deploy prints at its end (docs/deploy.md)."""

from __future__ import annotations

import contextlib
import io

import pytest

from stackyard.aws import Aws
from stackyard.cli import deploy as cli
from stackyard.deploy.outputs import output_lines
from stackyard.deploy.run import Seams
from tests.faults.world import World


def deploy_without_env(world: World) -> tuple[int, str]:
    out = io.StringIO()
    seams = Seams(Aws(client_factory=world.fake.client), world.fake.clock)
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = cli.main(["deploy", "--system", str(world.root), "--no-generate", "--concurrency", "1"], seams)
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
