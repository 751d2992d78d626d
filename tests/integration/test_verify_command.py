"""Integration (moto, in-process, and a web server on loopback): `deploy.py verify` end to end for a small
system (storage, alerts and a CloudFront site): its params say which checks run, moto's CloudFormation holds
its deployed stacks, and tests/helpers/local_web.py plays the site and S3's anonymous endpoint."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from stackyard.aws import Aws
from stackyard.cli import deploy as cli
from stackyard.deploy.run import Seams
from stackyard.deploy.verify.probes import Probes
from stackyard.errors import EXIT_FAILURE, EXIT_OK
from stackyard.manifest import MANIFEST_FILE, dumps
from tests.helpers.local_web import LocalWeb
from tests.helpers.manifests import manifest, stack_entry

REGION = "ap-southeast-1"
DATA, FRONTEND = "vfy-test-data", "vfy-test-frontend"
BLOCKED = dict.fromkeys(("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True)
BASE = """\
app: vfy
region: ap-southeast-1
stacks: [storage, alerts, edge]
retain_data: false
termination_protection: false
tags: {cost_center: vfy, owner: team@example.com}
storage: {buckets: {data: {purpose: data, versioned: true}}, access_logs_expire_after_days: 7}
monitoring: {critical_emails: [], warning_emails: []}
edge: {domain: null, hosted_zone_id: null, price_class: PriceClass_100, waf: false, spa_routing: none}
verify:
  http:
    - {name: site-version, url: '${edge.SiteUrl}/version.json', status: 200}
"""


def templates(site_url: str) -> dict[str, dict]:
    """What the stacks hold, in the types moto's CloudFormation builds."""
    return {
        "storage": {"Resources": {"Data": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": DATA}}}},
        "alerts": {"Resources": {"Critical": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "vfy-crit"}}}},
        "edge": {
            "Resources": {"Frontend": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": FRONTEND}}},
            "Outputs": {"SiteUrl": {"Value": site_url}},
        },
    }


def system(root: Path, site_url: str) -> None:
    """params/ of the system, and a build of environment test whose stacks moto then creates."""
    (root / "params").mkdir(parents=True)
    (root / "params" / "base.yaml").write_text(BASE)
    (root / "params" / "test.yaml").write_text("{}\n")
    env_dir = root / "build" / "test"
    env_dir.mkdir(parents=True)
    stacks = {}
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    for stack, template in templates(site_url).items():
        body = json.dumps(template).encode()
        (env_dir / f"{stack}.json").write_bytes(body)
        name = f"vfy-test-{stack}"
        stacks[stack] = stack_entry(name, REGION, template=f"{stack}.json", sha256=hashlib.sha256(body).hexdigest())
        cloudformation.create_stack(StackName=name, TemplateBody=body.decode())
    (env_dir / MANIFEST_FILE).write_bytes(dumps(manifest("test", REGION, stacks, app="vfy")))
    s3 = boto3.client("s3", region_name=REGION)
    for bucket in (DATA, FRONTEND):
        s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=BLOCKED)
        statement = {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))


@pytest.fixture
def web(tmp_path):
    with LocalWeb(tmp_path) as running:
        running.routes.update(
            {"/": (200, {}), "/version.json": (200, {}), f"/{DATA}": (403, {}), f"/{FRONTEND}": (403, {})}
        )
        running.plain_routes["/"] = (301, {"Location": "https://localhost/"})
        yield running


@pytest.fixture
def deployed(tmp_path, monkeypatch, web):
    for variable in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "STACKYARD_ENV"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        system(tmp_path / "vfy", web.https_url)
        yield tmp_path / "vfy"


def verify(root: Path, web: LocalWeb) -> tuple[int, list[str]]:
    probes = Probes(ssl_context=web.trusting, bucket_url=lambda bucket, region: f"{web.https_url}/{bucket}")
    probes.plain_http_port = web.http_port
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = cli.main(
            ["verify", "--system", str(root), "--env", "test", "--no-generate"],
            Seams(aws=Aws(region=REGION), probes=probes),
        )
    return code, out.getvalue().splitlines()


def results(lines: list[str]) -> dict[str, str]:
    return {line.split()[0]: line.split()[1] for line in lines[1:-1]}


def test_verify_prints_every_check_with_its_evidence_and_exits_0_when_all_pass(deployed, web):
    code, lines = verify(deployed, web)
    assert code == EXIT_OK, "\n".join(lines)
    assert lines[0].split() == ["check", "result", "evidence"]
    assert results(lines) == {
        "stacks-deployed": "pass",
        "site-https": "pass",
        "site-http-redirects": "pass",
        "buckets-refuse-public-reads": "pass",
        "buckets-refuse-plain-http": "pass",
        "alarms-ok": "pass",
        "site-version": "pass",
    }
    evidence = {line.split()[0]: line.split(None, 2)[2] for line in lines[1:-1]}
    assert (
        evidence["buckets-refuse-public-reads"] == "2 buckets block all public access and answer an anonymous read 403"
    )
    assert evidence["stacks-deployed"] == "3 stacks, 3 resources, all complete"
    assert lines[-1] == "verify test: 7 passed, 0 failed, 0 skipped"
    assert {f"/{DATA}", f"/{FRONTEND}", "/version.json"} <= set(web.requests)


def test_a_bucket_anyone_can_read_fails_verify_with_exit_1(deployed, web):
    web.routes[f"/{DATA}"] = (200, {})
    code, lines = verify(deployed, web)
    assert code == EXIT_FAILURE
    assert f"buckets-refuse-public-reads  FAIL     {DATA}: an anonymous read answered 200, not 403" in lines
    assert lines[-1] == "verify test: 6 passed, 1 failed, 0 skipped"


def test_a_site_that_stopped_answering_fails_and_says_how(deployed, web):
    web.routes["/version.json"] = (404, {})
    code, lines = verify(deployed, web)
    assert code == EXIT_FAILURE
    assert any(line.startswith("site-version") and "404 from" in line and "; expected 200" in line for line in lines)
