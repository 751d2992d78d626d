"""Fault matrix rows: credentials, regions and endpoints (issue 11 item 13). Each is bad input (exit 2) with
the fix, found by the run's first call (GetCallerIdentity) or before it, so nothing else is called."""

from __future__ import annotations

from botocore.exceptions import ReadTimeoutError, UnauthorizedSSOTokenError

from tests.faults.scenarios.common import Expect, Scenario, fault, nothing_called
from tests.faults.world import Result, World

SSO = (
    "An IAM Identity Center (SSO) session that expired: botocore raises UnauthorizedSSOTokenError ('To refresh this "
    "SSO session run aws sso login') before any request (AWS CLI User Guide, 'Configuring IAM Identity Center')"
)
OPT_IN = (
    "An opt-in region the account has not enabled refuses its credentials: InvalidClientTokenId, 'The security token "
    "included in the request is invalid' (Account Management Guide, 'Enable or disable AWS Regions')"
)
SILENT = (
    "An endpoint that takes the connection and never answers: botocore raises ReadTimeoutError after read_timeout "
    "(botocore Config reference); tests/contract/test_aws_probe.py times the real one"
)
REGIONS = "The regions CloudFormation has, as botocore's endpoint data lists them (boto3 Session.get_available_regions)"
OPT_IN_REGION = "ap-east-1"


def only_the_probe(world: World, result: Result) -> None:
    assert result.calls and {call.operation for call in result.calls} == {"GetCallerIdentity"}, result.calls


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "an-expired-sso-session-is-bad-input-with-the-fix",
        SSO,
        ("deploy",),
        Expect(
            2,
            says=(
                "checking the AWS credentials: the AWS SSO session is expired or missing",
                "Fix: run `aws sso login` for the profile you deploy with",
            ),
            check=only_the_probe,
        ),
        setup=fault(credentials_error=UnauthorizedSSOTokenError()),
    ),
    Scenario(
        "a-region-the-account-has-not-enabled-is-bad-input-with-the-fix",
        OPT_IN,
        ("deploy", "--region", OPT_IN_REGION),
        Expect(
            2,
            says=(
                f"region {OPT_IN_REGION} is not enabled for account 123456789012 (STS there answers "
                "InvalidClientTokenId, in us-east-1 it accepts them)",
                f"aws account enable-region --region-name {OPT_IN_REGION}",
            ),
            counts=(("GetCallerIdentity", 2),),
            check=only_the_probe,
        ),
        setup=fault(regions_not_enabled={OPT_IN_REGION}),
    ),
    Scenario(
        "credentials-refused-everywhere-are-not-called-a-region-problem",
        OPT_IN + "; credentials refused in every region are bad credentials",
        ("deploy", "--region", OPT_IN_REGION),
        Expect(
            2,
            says=("AWS rejected the credentials (InvalidClientTokenId", "Fix: renew them"),
            counts=(("GetCallerIdentity", 2),),
            check=only_the_probe,
        ),
        setup=fault(regions_not_enabled={OPT_IN_REGION, "us-east-1"}),
    ),
    Scenario(
        "an-endpoint-that-never-answers-is-bad-input-with-the-fix",
        SILENT,
        ("plan",),
        Expect(
            2,
            says=(
                "http://127.0.0.1:4566 took the connection but did not answer in time",
                "Fix: check that AWS_ENDPOINT_URL",
            ),
            check=only_the_probe,
        ),
        setup=fault(credentials_error=ReadTimeoutError(endpoint_url="http://127.0.0.1:4566")),
    ),
    Scenario(
        "a-misspelt-region-is-bad-input-before-any-call",
        REGIONS,
        ("deploy", "--region", "eu-west-l"),
        Expect(
            2,
            says=("--region 'eu-west-l' is not a region with CloudFormation; did you mean eu-west-1",),
            check=nothing_called,
        ),
        start="empty",
    ),
)
