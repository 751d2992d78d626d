"""The figures the time-compressed CloudFormation plays, each with where it comes from.

Provisioning times are what AWS documents or what users commonly observe for a create (an update
is played at the same length: the cautious side). They are typical, not worst, cases: CloudFront
and RDS can take far longer on a bad day, which only lengthens the critical path the deploy is
compared with. Everything not listed is a control-plane resource CloudFormation finishes in
seconds (DEFAULT_SECONDS).
"""

from __future__ import annotations

from typing import NamedTuple


class Figure(NamedTuple):
    seconds: float
    source: str


CLOUDFRONT_BLOG = (
    "AWS Networking & Content Delivery blog, 'Slashing CloudFront change propagation times in 2020': "
    "configuration changes deploy worldwide in under 5 minutes"
)
AURORA = (
    "issue 15 ('10 minutes per Aurora cluster'); tungbq/aws-lab-with-terraform#100 (an Aurora instance "
    "takes ~12 min, its cluster ~1 min); hashicorp/terraform#8051 (cluster create may take > 15 min)"
)

SECONDS: dict[str, Figure] = {
    "AWS::RDS::DBCluster": Figure(180, AURORA),
    "AWS::RDS::DBInstance": Figure(540, AURORA),
    "AWS::CloudFront::Distribution": Figure(300, CLOUDFRONT_BLOG),
    "AWS::CloudFront::VpcOrigin": Figure(
        600, "terraform-aws-modules/terraform-aws-cloudfront#163: a VPC origin still 'Deploying' after 15 min"
    ),
    "AWS::CertificateManager::Certificate": Figure(
        240,
        "DNS validation through the Route 53 record CloudFormation writes (HostedZoneId): minutes; "
        "'allow up to 30 minutes on first deploy' (brentio.github.io/FireFly, acm); CloudFormation "
        "gives up after 12 h (dev.classmethod.jp, 'tsnote-acm-cloudformation-12hours-timeout')",
    ),
    "AWS::EC2::NatGateway": Figure(
        150,
        "kubernetes/kops#944, #995: 'up to 5 min' pending to available; hashicorp/terraform#8687: "
        "'Still creating... (3m10s elapsed)'",
    ),
    "AWS::ElasticLoadBalancingV2::LoadBalancer": Figure(
        140,
        "turbot/steampipe-plugin-aws#792: 'Creation complete after 2m19s'; hashicorp/terraform#24799: "
        "'no more than 5 minutes' usually",
    ),
    "AWS::EC2::Instance": Figure(60, "CloudFormation waits for the instance to be running: about a minute"),
    "AWS::Lambda::Function": Figure(10, "a function in a VPC creates its network interfaces first: seconds"),
    "AWS::IAM::Role": Figure(15, "IAM is eventually consistent; CloudFormation waits for a role to propagate"),
    "AWS::IAM::InstanceProfile": Figure(
        120,
        "hashicorp/terraform#15341, hashicorp/terraform-provider-aws#838: 'AWS says there is a built in 2min "
        "delay' for instance profiles",
    ),
    "AWS::WAFv2::WebACL": Figure(30, "WAFv2 web ACLs (CLOUDFRONT scope, us-east-1): tens of seconds"),
    "AWS::S3::Bucket": Figure(20, "bucket creation and its configuration calls: tens of seconds"),
    "AWS::Route53::RecordSet": Figure(40, "CloudFormation waits for the change to be INSYNC: 30-60 s"),
    "AWS::SecretsManager::RotationSchedule": Figure(30, "the first rotation invokes the rotation Lambda"),
    "Custom::SchemaMigration": Figure(30, "the schema migrator Lambda runs the migrations (docs/migrations.md)"),
    "AWS::EC2::VPCGatewayAttachment": Figure(15, "attaching an internet gateway: seconds"),
    "AWS::EC2::VPC": Figure(15, "a VPC and its DNS settings: seconds"),
}
DEFAULT_SECONDS = Figure(5, "control-plane resources (groups, routes, policies, alarms, queues): seconds")

# A nested stack: its own create starts and ends a few seconds around its resources.
NESTED_STACK_OVERHEAD = Figure(10, "a nested stack is created, then reports back to its parent: seconds")

# Change sets: CloudFormation computes them in seconds; nested stacks each get their own.
CHANGE_SET_SECONDS = Figure(
    10,
    "acquia/moonshot#213, #227 and cloudtools/stacker#389: usually seconds, sometimes up to a minute",
)
CHANGE_SET_SECONDS_PER_NESTED = Figure(10, "aws/aws-sam-cli#4681: change sets of many nested stacks take much longer")

# CloudFormation's API throttling: a token bucket per account, region and operation.
DESCRIBE_RATE = Figure(
    5,
    "aws/aws-sam-cli#2671: 'Cloud Formation rate caps describe-stacks to 5 calls per second and this cannot "
    "be increased'; AWS re:Post knowledge center 'cloudformation-rate-exceeded-error'",
)
DESCRIBE_BURST = Figure(10, "a token bucket's burst allowance (the re:Post article above: refill rate plus burst)")
EVENTS_PAGE = Figure(100, "ansible/ansible#41840: DescribeStackEvents returns 100 events at a time")

# botocore's retries as stackyard configures them (stackyard/aws/__init__.py: adaptive, 10 attempts).
MAX_ATTEMPTS = 10
RETRY_QUOTA = 500  # botocore/retries/quota.py: RetryQuota.INITIAL_CAPACITY
THROTTLING_RETRY_COST = 5  # botocore/retries/standard.py: RetryQuotaChecker._THROTTLING_RETRY_COST
MAX_BACKOFF = 20  # botocore/retries/standard.py: ExponentialBackoff, throttling base scale 1 s


def seconds(resource_type: str) -> float:
    return SECONDS.get(resource_type, DEFAULT_SECONDS).seconds
