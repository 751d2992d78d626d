"""Contract (botocore Stubber): the ECR and ACM calls a system's first deploy makes (docs/deploy.md, "A
container service's first deploy", "Validation records for a domain whose DNS is elsewhere"), with the
shapes AWS accepts and the errors it answers. No network; botocore validates every request and stubbed
response against the service models."""

from __future__ import annotations

import pytest

from stackyard.aws import Acm, AwsError, Ecr, ValidationRecord
from tests.helpers.stubs import stubbed

REGION = "us-east-1"
REPOSITORY = "tap-poc-app"
URI = f"123456789012.dkr.ecr.{REGION}.amazonaws.com/{REPOSITORY}"


@pytest.fixture
def ecr():
    yield from stubbed("ecr", Ecr, REGION)


@pytest.fixture
def acm():
    yield from stubbed("acm", Acm, REGION)


def test_an_image_is_looked_up_by_its_tag(ecr):
    api, stubber = ecr
    stubber.add_response(
        "describe_images",
        {"imageDetails": [{"repositoryName": REPOSITORY, "imageDigest": "sha256:" + "a" * 64, "imageTags": ["v1"]}]},
        {"repositoryName": REPOSITORY, "imageIds": [{"imageTag": "v1"}]},
    )
    assert api.has_image(REPOSITORY, "v1") is True


@pytest.mark.parametrize(
    "code, message",
    [
        (
            "ImageNotFoundException",
            "The image with imageId {imageDigest:'null', imageTag:'latest'} does not exist within the repository",
        ),
        ("RepositoryNotFoundException", "The repository with name 'tap-poc-app' does not exist in the registry"),
    ],
)
def test_a_tag_not_pushed_and_a_repository_not_created_yet_are_both_no_image(ecr, code, message):
    api, stubber = ecr
    stubber.add_client_error("describe_images", code, message, 400)
    assert api.has_image(REPOSITORY, "latest") is False


def test_any_other_ecr_error_is_a_deploy_failure_naming_the_image(ecr):
    api, stubber = ecr
    stubber.add_client_error("describe_images", "AccessDeniedException", "not authorized: ecr:DescribeImages", 400)
    with pytest.raises(AwsError) as raised:
        api.has_image(REPOSITORY, "latest")
    assert str(raised.value).startswith("looking for image tap-poc-app:latest in ECR: access denied")


def test_the_repository_uri_is_read_from_ecr_and_none_before_the_repository_exists(ecr):
    api, stubber = ecr
    stubber.add_response(
        "describe_repositories",
        {"repositories": [{"repositoryName": REPOSITORY, "repositoryUri": URI}]},
        {"repositoryNames": [REPOSITORY]},
    )
    stubber.add_client_error("describe_repositories", "RepositoryNotFoundException", "does not exist", 400)
    assert api.repository_uri(REPOSITORY) == URI
    assert api.repository_uri(REPOSITORY) is None


CERTIFICATE = f"arn:aws:acm:{REGION}:123456789012:certificate/0f3c2a54-1d2e-4b9a-9c61-2f1e5d7a8b90"
RECORD = {"Name": "_3c1e.tap.example.com.", "Type": "CNAME", "Value": "_9f2a.acm-validations.aws."}


def option(domain: str, **extra):
    return {"DomainName": domain, "ValidationMethod": "DNS", "ValidationStatus": "PENDING_VALIDATION", **extra}


def test_a_certificate_has_no_records_until_acm_made_them(acm):
    api, stubber = acm
    stubber.add_response(
        "describe_certificate",
        {
            "Certificate": {
                "CertificateArn": CERTIFICATE,
                "DomainName": "tap.example.com",
                "Status": "PENDING_VALIDATION",
                "DomainValidationOptions": [option("tap.example.com")],
            }
        },
        {"CertificateArn": CERTIFICATE},
    )
    validation = api.validation(CERTIFICATE)
    assert (validation.domain, validation.status, validation.records) == ("tap.example.com", "PENDING_VALIDATION", ())


def test_the_domain_and_its_wildcard_share_one_record(acm):
    api, stubber = acm
    stubber.add_response(
        "describe_certificate",
        {
            "Certificate": {
                "CertificateArn": CERTIFICATE,
                "DomainName": "tap.example.com",
                "SubjectAlternativeNames": ["tap.example.com", "*.tap.example.com"],
                "Status": "PENDING_VALIDATION",
                "DomainValidationOptions": [
                    option("tap.example.com", ResourceRecord=RECORD),
                    option("*.tap.example.com", ResourceRecord=RECORD),
                ],
            }
        },
        {"CertificateArn": CERTIFICATE},
    )
    validation = api.validation(CERTIFICATE)
    assert validation.records == (ValidationRecord(RECORD["Name"], "CNAME", RECORD["Value"]),)
    assert str(validation.records[0]) == "_3c1e.tap.example.com. CNAME _9f2a.acm-validations.aws."


def test_an_acm_refusal_is_a_deploy_failure_naming_the_certificate(acm):
    api, stubber = acm
    stubber.add_client_error(
        "describe_certificate", "AccessDeniedException", "not authorized to perform: acm:DescribeCertificate", 400
    )
    with pytest.raises(AwsError) as raised:
        api.validation(CERTIFICATE)
    assert str(raised.value).startswith(f"reading the certificate {CERTIFICATE}: access denied")
