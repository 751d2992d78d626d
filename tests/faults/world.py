"""A small environment for the fault matrix, and runs of deploy.py against the scripted AWS.

Three stacks of app `app`, environment `test`: network (exports the VPC id), storage (a bucket a
delete empties, a bucket its template keeps, an export), and app (imports the VPC id, takes the
bucket name as a parameter, has a queue). `nested=True` puts network's VPC in a nested stack, so
its template goes through the artifact bucket. Each run goes through the real command line
(stackyard/cli/deploy.py) with the fake behind stackyard.aws.Aws.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stackyard.aws import Aws
from stackyard.cli import deploy as cli
from stackyard.deploy.interrupt import Interrupt
from stackyard.deploy.run import Seams
from stackyard.manifest import (
    MANIFEST_FILE,
    ContainerImage,
    Guards,
    ManagedPrefixList,
    NestedTemplate,
    ParameterSource,
    dumps,
)
from tests.faults.fake_aws import Call, FakeCloud
from tests.faults.fake_ec2 import ORIGIN_FACING
from tests.faults.fake_guards import GuardedCloudFormation
from tests.faults.guard_build import guarded
from tests.helpers.manifests import manifest, stack_entry

APP, ENV, REGION = "app", "test", "ap-southeast-1"
TAGS = {"Environment": ENV, "ManagedBy": "stackyard"}
NETWORK, STORAGE, APP_STACK = f"{APP}-{ENV}-network", f"{APP}-{ENV}-storage", f"{APP}-{ENV}-app"
VERSION = "2010-09-09"

NETWORK_TEMPLATE: dict[str, Any] = {
    "AWSTemplateFormatVersion": VERSION,
    "Resources": {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}}},
    "Outputs": {"VpcId": {"Value": {"Ref": "Vpc"}, "Export": {"Name": f"{APP}-{ENV}-VpcId"}}},
}
NESTED_NETWORK_TEMPLATE: dict[str, Any] = {
    "AWSTemplateFormatVersion": VERSION,
    "Resources": {"Vpc": {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": "network/vpc.json"}}},
    "Outputs": {"VpcId": {"Value": {"Fn::GetAtt": ["Vpc", "Outputs.VpcId"]}, "Export": {"Name": f"{APP}-{ENV}-VpcId"}}},
}
VPC_TEMPLATE: dict[str, Any] = {
    "AWSTemplateFormatVersion": VERSION,
    "Resources": {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
        "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {"CidrBlock": "10.0.0.0/20", "VpcId": {"Ref": "Vpc"}}},
    },
    "Outputs": {"VpcId": {"Value": {"Ref": "Vpc"}}},
}
STORAGE_TEMPLATE: dict[str, Any] = {
    "AWSTemplateFormatVersion": VERSION,
    "Resources": {
        "DataBucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": f"{APP}-{ENV}-data"}},
        "KeptBucket": {
            "Type": "AWS::S3::Bucket",
            "DeletionPolicy": "Retain",
            "Properties": {"BucketName": f"{APP}-{ENV}-kept"},
        },
    },
    "Outputs": {"DataBucketName": {"Value": {"Ref": "DataBucket"}, "Export": {"Name": f"{APP}-{ENV}-DataBucketName"}}},
}
APP_TEMPLATE: dict[str, Any] = {
    "AWSTemplateFormatVersion": VERSION,
    "Parameters": {"DataBucket": {"Type": "String"}, "Retention": {"Type": "Number", "Default": 4}},
    "Resources": {
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"MessageRetentionPeriod": {"Ref": "Retention"}}},
        "Group": {
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {"GroupDescription": "app", "VpcId": {"Fn::ImportValue": f"{APP}-{ENV}-VpcId"}},
        },
    },
    "Outputs": {"QueueUrl": {"Value": {"Ref": "Queue"}}},
}

# `images=True`: the app stack also holds an image repository and a service that runs only once its image
# is in ECR (the manifest's images: ServiceEnabled -> app-test-app:latest), as the containers stack does.
REPOSITORY, IMAGE_TAG = f"{APP}-{ENV}-app", "latest"
APP_WITH_SERVICE_TEMPLATE: dict[str, Any] = {
    **APP_TEMPLATE,
    "Parameters": {
        **APP_TEMPLATE["Parameters"],
        "ServiceEnabled": {"Type": "String", "AllowedValues": ["true", "false"], "Default": "true"},
    },
    "Conditions": {"RunsService": {"Fn::Equals": [{"Ref": "ServiceEnabled"}, "true"]}},
    "Resources": {
        **APP_TEMPLATE["Resources"],
        "Repository": {"Type": "AWS::ECR::Repository", "Properties": {"RepositoryName": REPOSITORY}},
        "Service": {
            "Type": "AWS::ECS::Service",
            "Condition": "RunsService",
            "Properties": {"DesiredCount": 1, "TaskDefinition": f"{REPOSITORY}:{IMAGE_TAG}"},
        },
    },
}

# `certificate=True`: the storage stack also holds a certificate for a domain whose DNS is elsewhere (the
# manifest's manual_validation), which CloudFormation waits on until its validation record is created.
DOMAIN = "app.example.com"
CERTIFICATE: dict[str, Any] = {
    "Type": "AWS::CertificateManager::Certificate",
    "Properties": {"DomainName": DOMAIN, "SubjectAlternativeNames": [f"*.{DOMAIN}"], "ValidationMethod": "DNS"},
}
STORAGE_WITH_CERTIFICATE_TEMPLATE: dict[str, Any] = {
    **STORAGE_TEMPLATE,
    "Resources": {**STORAGE_TEMPLATE["Resources"], "Certificate": CERTIFICATE},
}


ORIGIN_PREFIX_LIST = "OriginPrefixList"  # with prefix_lists=True: the app stack's managed prefix list parameter


def with_origin_prefix_list(template: dict[str, Any]) -> dict[str, Any]:
    """The app stack letting CloudFront's origin-facing addresses in (as the edge stack's load balancer does)."""
    changed: dict[str, Any] = json.loads(json.dumps(template))
    changed["Parameters"][ORIGIN_PREFIX_LIST] = {"Type": "String", "AllowedPattern": "pl-[0-9a-f]+"}
    changed["Resources"]["Group"]["Properties"]["SecurityGroupIngress"] = [
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "SourcePrefixListId": {"Ref": ORIGIN_PREFIX_LIST}}
    ]
    return changed


@dataclass
class Result:
    code: int
    out: str
    calls: list[Call]


@dataclass
class World:
    root: Path
    nested: bool = False
    prefix_lists: bool = False  # the app stack takes the CloudFront origin-facing prefix list's id
    images: bool = False
    certificate: bool = False
    fake: FakeCloud = field(default_factory=FakeCloud)
    interrupt: Interrupt = field(default_factory=Interrupt)
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)
    guards: Guards | None = None  # params' guards (tests/faults/scenarios/guards.py); None: the manifest's defaults
    holds_role: frozenset[str] = frozenset()  # stacks that create the service role guards.role_arn names

    def __post_init__(self) -> None:
        self.templates = {
            "network": NESTED_NETWORK_TEMPLATE if self.nested else NETWORK_TEMPLATE,
            "storage": STORAGE_WITH_CERTIFICATE_TEMPLATE if self.certificate else STORAGE_TEMPLATE,
            "app": self._app_template(),
        }
        if self.nested:
            self.templates["network/vpc"] = VPC_TEMPLATE
        self.write_build()

    @property
    def cloudformation(self) -> GuardedCloudFormation:
        fake = self.fake.cloudformation(REGION)
        assert isinstance(fake, GuardedCloudFormation)
        return fake

    def change(self, stack: str, template: dict[str, Any]) -> None:
        """A new build of `stack` (as if params had changed and generate had run)."""
        self.templates[stack] = template
        self.write_build()

    def _app_template(self) -> dict[str, Any]:
        template = APP_WITH_SERVICE_TEMPLATE if self.images else APP_TEMPLATE
        return with_origin_prefix_list(template) if self.prefix_lists else template

    def write_build(self) -> None:
        env_dir = self.root / "build" / ENV
        (env_dir / "network").mkdir(parents=True, exist_ok=True)
        hashes = {}
        for name, template in self.templates.items():
            body = json.dumps(template, indent=2, sort_keys=True).encode()
            (env_dir / f"{name}.json").write_bytes(body)
            hashes[name] = hashlib.sha256(body).hexdigest()
        nested = {"Vpc": NestedTemplate("network/vpc.json", hashes["network/vpc"], 2)} if self.nested else {}
        stacks = {
            "network": stack_entry(
                NETWORK,
                REGION,
                template="network.json",
                sha256=hashes["network"],
                nested=nested,
                exports={f"{APP}-{ENV}-VpcId": "VpcId"},
            ),
            "storage": stack_entry(
                STORAGE,
                REGION,
                template="storage.json",
                sha256=hashes["storage"],
                exports={f"{APP}-{ENV}-DataBucketName": "DataBucketName"},
                manual_validation={"Certificate": DOMAIN} if self.certificate else {},
            ),
            "app": stack_entry(
                APP_STACK,
                REGION,
                template="app.json",
                sha256=hashes["app"],
                imports=(f"{APP}-{ENV}-VpcId",),
                parameters={"DataBucket": ParameterSource("storage", "DataBucketName")},
                images={"ServiceEnabled": ContainerImage(REPOSITORY, IMAGE_TAG)} if self.images else {},
                depends_on=("network", "storage"),
                prefix_lists={ORIGIN_PREFIX_LIST: ManagedPrefixList(ORIGIN_FACING)} if self.prefix_lists else {},
            ),
        }
        if self.guards is not None:
            stacks = guarded(env_dir, self.templates, stacks, self.guards, self.holds_role)
        guards = {"guards": self.guards} if self.guards is not None else {}
        built = manifest(ENV, REGION, stacks, app=APP, stack_tags=TAGS, **guards)
        (env_dir / MANIFEST_FILE).write_bytes(dumps(built))

    def run(self, *args: str) -> Result:
        """deploy.py with `args` (the verb first), against the fake; the calls of this run only."""
        self.interrupt = Interrupt()
        first = len(self.fake.calls)
        out = io.StringIO()
        common = ["--system", str(self.root), "--env", ENV, "--no-generate", "--concurrency", "1"]
        verb = [args[0]] if args and args[0] in cli.VERBS else []
        rest = list(args[len(verb) :])
        seams = Seams(Aws(client_factory=self.fake.client), self.fake.clock, self.interrupt)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            code = cli.main([*verb, *common, *rest], seams)
        return Result(code, out.getvalue(), self.fake.calls[first:])

    def outputs(self) -> dict[str, Any]:
        path = self.root / "outputs" / f"{ENV}.json"
        return json.loads(path.read_text()) if path.exists() else {}
